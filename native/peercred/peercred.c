/*
 * The kernel's word on who is at the other end of a Unix socket (SO_PEERCRED): the uid, gid
 * and pid of the process that called connect(). Node exposes no way to read it, and the
 * coordinator must not take a caller's name from the request (docs/security.md).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <node_api.h>

static napi_value throw_error(napi_env env, const char *message) {
  napi_throw_error(env, "LOCKSTEP_E_INTERNAL", message);
  return NULL;
}

/* peerCredentials(fd) -> { pid, uid, gid } */
static napi_value peer_credentials(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1) return throw_error(env, "peerCredentials(fd): one argument");
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) return throw_error(env, "peerCredentials(fd): fd must be a non-negative integer");

  struct ucred cred;
  socklen_t length = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0 || length != sizeof cred) {
    char message[160];
    strcpy(message, "getsockopt(SO_PEERCRED): ");
    strncat(message, strerror(errno), sizeof message - strlen(message) - 1);
    return throw_error(env, message);
  }

  napi_value result, pid, uid, gid;
  napi_create_object(env, &result);
  napi_create_int32(env, cred.pid, &pid);
  napi_create_uint32(env, cred.uid, &uid);
  napi_create_uint32(env, cred.gid, &gid);
  napi_set_named_property(env, result, "pid", pid);
  napi_set_named_property(env, result, "uid", uid);
  napi_set_named_property(env, result, "gid", gid);
  return result;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_value fn;
  napi_create_function(env, "peerCredentials", NAPI_AUTO_LENGTH, peer_credentials, NULL, &fn);
  napi_set_named_property(env, exports, "peerCredentials", fn);
  return exports;
}
