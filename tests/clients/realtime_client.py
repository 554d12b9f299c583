"""The `realtime` document's Python client, as printed; only the URL and token are filled in
(from REALTIME_URL and REALTIME_TOKEN)."""
import asyncio
import os
import json
import websockets
from typing import Dict, Any, Callable, Optional
from datetime import datetime

class RealtimeClient:
    def __init__(self, url: str, token: str):
        self.url = url
        self.token = token
        self.websocket: Optional[websockets.WebSocketClientProtocol] = None
        self.handlers: Dict[str, Callable] = {}
        self.running = False
        
    async def connect(self):
        """Connect to the WebSocket server"""
        uri = f"{self.url}?token={self.token}"
        self.websocket = await websockets.connect(uri)
        self.running = True
        
        # Start message handler
        asyncio.create_task(self._handle_messages())
        
    async def _handle_messages(self):
        """Handle incoming messages"""
        async for message in self.websocket:
            try:
                data = json.loads(message)
                message_type = data.get('type')
                
                if message_type in self.handlers:
                    await self.handlers[message_type](data.get('data'))
                    
            except json.JSONDecodeError:
                print(f"Failed to parse message: {message}")
            except Exception as e:
                print(f"Error handling message: {e}")
                
    def on(self, message_type: str, handler: Callable):
        """Register a message handler"""
        self.handlers[message_type] = handler
        
    async def send(self, message_type: str, data: Any):
        """Send a message to the server"""
        if self.websocket:
            message = {
                'type': message_type,
                'data': data,
                'timestamp': int(datetime.now().timestamp() * 1000)
            }
            await self.websocket.send(json.dumps(message))
            
    async def subscribe(self, topics: list):
        """Subscribe to topics"""
        await self.send('Subscribe', {'topics': topics})
        
    async def broadcast(self, topic: str, payload: Any):
        """Send a broadcast message"""
        await self.send('Broadcast', {'topic': topic, 'payload': payload})
        
    async def send_direct_message(self, target_user: str, payload: Any):
        """Send a direct message"""
        await self.send('DirectMessage', {'target_user': target_user, 'payload': payload})
        
    async def disconnect(self):
        """Disconnect from the server"""
        self.running = False
        if self.websocket:
            await self.websocket.close()

# Usage example
async def main():
    client = RealtimeClient(os.environ['REALTIME_URL'], os.environ['REALTIME_TOKEN'])
    
    # Register handlers
    client.on('Status', lambda data: print(f"Status: {data}"))
    client.on('Broadcast', lambda data: print(f"Broadcast: {data}"))
    client.on('DirectMessage', lambda data: print(f"DM: {data}"))
    
    # Connect and interact
    await client.connect()
    await client.subscribe(['chat.general', 'notifications'])
    
    # Send a broadcast
    await client.broadcast('chat.general', {
        'message': 'Hello from Python!',
        'sender': 'python_client'
    })
    
    # Keep running
    await asyncio.sleep(60)
    await client.disconnect()

if __name__ == "__main__":
    asyncio.run(main())
