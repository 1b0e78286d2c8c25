/*
 * echo_server: a stand-in didtron.v1 WebSocket server for testing the test
 * client, running its own lws context on its own thread.
 *
 * Accepts ws://127.0.0.1:PORT/ws with subprotocol "didtron.v1" (any other
 * path is refused at the handshake), one JSON-RPC request per message:
 *   anything else      -> result {"method":m,"params":p,"len":<bytes of the
 *                         request>,"sum":<sum of its bytes mod 2^32>}
 *   "echo.error"       -> error -32601
 *   "echo.push"        -> event {topic:"test.pushed",data:params} on this
 *                         connection, then the result
 *   "echo.broadcast"   -> that event on every connection, then the result
 *   "echo.big" {size,frame} -> result {"blob":"aaaa..." size bytes}, sent
 *                         in frames of `frame` bytes (default: one frame)
 *   "echo.close" {code} -> close with that status
 * Non-JSON gets a -32700 error with id null. A message over max_message
 * bytes closes the connection with status 1009.
 */
#ifndef DIDTRON_TESTS_ECHO_SERVER_H
#define DIDTRON_TESTS_ECHO_SERVER_H

#include <stddef.h>

typedef struct echo_server echo_server;

/* port 0 = any free port. NULL on failure. */
echo_server *echo_server_start(int port, size_t max_message);
int echo_server_port(const echo_server *s);
void echo_server_stop(echo_server *s);

#endif
