// The `realtime` document's Node.js client, as printed; only the URL and token are filled in.
const WebSocket = require('ws');
const EventEmitter = require('events');

class NodeRealtimeClient extends EventEmitter {
  constructor(url, token, options = {}) {
    super();
    this.url = url;
    this.token = token;
    this.options = {
      heartbeatInterval: 30000,
      reconnectDelay: 1000,
      maxReconnectAttempts: 5,
      ...options
    };
    this.ws = null;
    this.reconnectAttempts = 0;
    this.heartbeatTimer = null;
  }

  connect() {
    return new Promise((resolve, reject) => {
      const wsUrl = `${this.url}?token=${this.token}`;
      
      this.ws = new WebSocket(wsUrl, {
        perMessageDeflate: false,
        handshakeTimeout: 10000
      });

      this.ws.on('open', () => {
        console.log('Connected to realtime service');
        this.reconnectAttempts = 0;
        this.startHeartbeat();
        this.emit('connected');
        resolve();
      });

      this.ws.on('message', (data) => {
        try {
          const message = JSON.parse(data);
          this.emit(message.type, message.data);
          this.emit('message', message);
        } catch (error) {
          console.error('Failed to parse message:', error);
        }
      });

      this.ws.on('error', (error) => {
        console.error('WebSocket error:', error);
        this.emit('error', error);
        reject(error);
      });

      this.ws.on('close', (code, reason) => {
        console.log(`Disconnected: ${code} - ${reason}`);
        this.stopHeartbeat();
        this.emit('disconnected', { code, reason });
        this.handleReconnection();
      });

      this.ws.on('pong', () => {
        this.emit('pong');
      });
    });
  }

  startHeartbeat() {
    this.heartbeatTimer = setInterval(() => {
      if (this.ws.readyState === WebSocket.OPEN) {
        this.ws.ping();
        this.send({
          type: 'Ping',
          data: { timestamp: Date.now() }
        });
      }
    }, this.options.heartbeatInterval);
  }

  stopHeartbeat() {
    if (this.heartbeatTimer) {
      clearInterval(this.heartbeatTimer);
      this.heartbeatTimer = null;
    }
  }

  send(message) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  subscribe(topics) {
    return this.send({
      type: 'Subscribe',
      data: { topics }
    });
  }

  broadcast(topic, payload) {
    return this.send({
      type: 'Broadcast',
      data: { topic, payload }
    });
  }

  sendDirectMessage(targetUser, payload) {
    return this.send({
      type: 'DirectMessage',
      data: { target_user: targetUser, payload }
    });
  }

  handleReconnection() {
    if (this.reconnectAttempts < this.options.maxReconnectAttempts) {
      this.reconnectAttempts++;
      const delay = this.options.reconnectDelay * Math.pow(2, this.reconnectAttempts - 1);
      console.log(`Reconnecting in ${delay}ms... (attempt ${this.reconnectAttempts})`);
      setTimeout(() => {
        this.connect().catch(console.error);
      }, delay);
    } else {
      this.emit('max_reconnect_attempts_reached');
    }
  }

  disconnect() {
    this.stopHeartbeat();
    if (this.ws) {
      this.ws.close(1000, 'Client disconnect');
      this.ws = null;
    }
  }
}

// Usage example
async function main() {
  const client = new NodeRealtimeClient(process.env.REALTIME_URL, process.env.REALTIME_TOKEN);

  // Set up event handlers
  client.on('connected', () => {
    console.log('Connected!');
    client.subscribe(['notifications', 'updates']);
  });

  client.on('Broadcast', (data) => {
    console.log('Broadcast received:', data);
  });

  client.on('DirectMessage', (data) => {
    console.log('Direct message from', data.from_user, ':', data.payload);
  });

  client.on('error', (error) => {
    console.error('Client error:', error);
  });

  // Connect to service
  try {
    await client.connect();
    
    // Send a broadcast message
    client.broadcast('notifications', {
      title: 'Hello from Node.js',
      message: 'This is a test notification'
    });
  } catch (error) {
    console.error('Failed to connect:', error);
  }
}

module.exports = NodeRealtimeClient;
