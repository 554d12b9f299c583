// Drives the document's NodeRealtimeClient against the mock: two users, a broadcast and a
// direct message. Prints one line per frame received; exits 0 once both arrived, 1 on timeout.
// Usage: node node_driver.js WS_URL TOKEN_A TOKEN_B USER_B
const NodeRealtimeClient = require('./node_realtime_client');

const [url, tokenA, tokenB, userB] = process.argv.slice(2);
const options = { maxReconnectAttempts: 0 };

async function run() {
  const sender = new NodeRealtimeClient(url, tokenA, options);
  const receiver = new NodeRealtimeClient(url, tokenB, options);
  const got = { broadcast: false, direct: false };
  const done = () => {
    if (got.broadcast && got.direct) {
      sender.disconnect();
      receiver.disconnect();
      process.exit(0);
    }
  };
  receiver.on('Broadcast', (data) => {
    console.log('BROADCAST ' + JSON.stringify(data));
    got.broadcast = true;
    done();
  });
  receiver.on('DirectMessage', (data) => {
    console.log('Direct message from', data.from_user, ':', JSON.stringify(data.payload));
    got.direct = true;
    done();
  });
  receiver.on('Status', (data) => {
    if (data.status === 'subscribed') {
      sender.broadcast('notifications', {
        title: 'Hello from Node.js',
        message: 'This is a test notification'
      });
      sender.sendDirectMessage(userB, { message: 'Hi there' });
    }
  });
  await sender.connect();
  await receiver.connect();
  receiver.subscribe(['notifications', 'updates']);
}

setTimeout(() => {
  console.log('TIMEOUT');
  process.exit(1);
}, 15000);
run().catch((error) => {
  console.log('FAILED ' + error);
  process.exit(1);
});
