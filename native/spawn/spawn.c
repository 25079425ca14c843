/*
 * Starts the agent's commands with posix_spawn instead of node's child_process: libuv 1.46
 * (Node 20) forks the whole ~55 MB agent for every command, glibc's posix_spawn uses
 * CLONE_VFORK and copies no page tables (issue 19, docs/PERFORMANCE.md §4.3). A waiter thread
 * per running child (a hook may run 30 minutes: not the libuv pool; threads are kept a while for
 * the next child, §4.6) waits on its pipes and a pidfd, keeps each stream's tail, kills it at the
 * deadline, reaps it, and hands the result to JavaScript through one thread-safe function.
 * The contract is ProcessExecutor's (agent/exec/executor.ts).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <node_api.h>

/*
 * Built on the oldest release it is installed on (docs/install.md): RHEL 8's glibc 2.28 has no
 * posix_spawn_file_actions_addchdir_np (2.29), and its 4.18 headers no pidfd_open (5.3). Without
 * the first the addon says so (`chdir: false`) and the executor runs a request with a cwd through
 * child_process; without the second the thread looks for the exit every 20 ms.
 */
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 29))
#define HAVE_ADDCHDIR 1
#else
#define HAVE_ADDCHDIR 0
#endif

/* After the child is gone, how long its pipes may stay open (a grandchild in the background). */
#define DRAIN_AFTER_EXIT_MS 2000
#define READ_CHUNK 65536
#define DEFAULT_PATH "/bin:/usr/bin"

typedef struct {
  char *data;
  size_t length, capacity, limit;
  bool dropped;
} tail_buffer;

typedef struct {
  pid_t pid;
  int out, err;
  int64_t timeout_ms;
  tail_buffer stdout_tail, stderr_tail;
  int status;
  bool timed_out, drain_cut;
  napi_ref callback;
  napi_threadsafe_function tsfn;
} child;

typedef struct {
  napi_threadsafe_function tsfn;
  uint32_t pending;
} instance;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Keeps at most `limit` bytes, the newest; compacts only when twice that is held. */
static void tail_append(tail_buffer *tail, const char *bytes, size_t count) {
  if (tail->limit == 0) {
    tail->dropped = tail->dropped || count > 0;
    return;
  }
  if (count >= tail->limit) {
    if (count > tail->limit || tail->length > 0) tail->dropped = true;
    bytes += count - tail->limit;
    count = tail->limit;
    tail->length = 0;
  }
  if (tail->length + count > 2 * tail->limit) {
    size_t keep = tail->limit - count;
    memmove(tail->data, tail->data + tail->length - keep, keep);
    tail->length = keep;
    tail->dropped = true;
  }
  if (tail->length + count > tail->capacity) {
    size_t capacity = tail->capacity == 0 ? 4096 : tail->capacity;
    while (capacity < tail->length + count) capacity *= 2;
    if (capacity > 2 * tail->limit) capacity = 2 * tail->limit;
    char *grown = realloc(tail->data, capacity);
    if (grown == NULL) return;
    tail->data = grown;
    tail->capacity = capacity;
  }
  memcpy(tail->data + tail->length, bytes, count);
  tail->length += count;
}

/* The tail as it will be delivered: the last `limit` bytes. */
static const char *tail_bytes(const tail_buffer *tail, size_t *count) {
  if (tail->length > tail->limit) {
    *count = tail->limit;
    return tail->data + tail->length - tail->limit;
  }
  *count = tail->length;
  return tail->data;
}

static bool tail_truncated(const tail_buffer *tail) { return tail->dropped || tail->length > tail->limit; }

/* Reads what is there; false at end of file (or an error: the stream is over either way). */
static bool drain(int fd, tail_buffer *tail) {
  char chunk[READ_CHUNK];
  for (;;) {
    ssize_t count = read(fd, chunk, sizeof chunk);
    if (count > 0) {
      tail_append(tail, chunk, (size_t)count);
      continue;
    }
    if (count < 0 && errno == EINTR) continue;
    return count < 0 && errno == EAGAIN;
  }
}

static void watch(child *c) {
  int64_t deadline = now_ms() + c->timeout_ms;
  int64_t drain_deadline = 0;
#ifdef SYS_pidfd_open
  int pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
#else
  int pidfd = -1;
#endif
  bool exited = false;
  while (c->out >= 0 || c->err >= 0 || !exited) {
    struct pollfd fds[3];
    int n = 0, out_at = -1, err_at = -1, pid_at = -1;
    if (c->out >= 0) { out_at = n; fds[n++] = (struct pollfd){ .fd = c->out, .events = POLLIN }; }
    if (c->err >= 0) { err_at = n; fds[n++] = (struct pollfd){ .fd = c->err, .events = POLLIN }; }
    if (!exited && pidfd >= 0) { pid_at = n; fds[n++] = (struct pollfd){ .fd = pidfd, .events = POLLIN }; }
    int64_t now = now_ms();
    int64_t until = exited ? drain_deadline : deadline;
    int64_t wait = until - now;
    if (wait < 0) wait = 0;
    /* Without a pidfd (a kernel before 5.3), look for the exit every 20 ms. */
    if (!exited && pidfd < 0 && wait > 20) wait = 20;
    bool polled = poll(fds, (nfds_t)n, (int)(wait > INT32_MAX ? INT32_MAX : wait)) >= 0;
    if (!polled) {
      /* EINTR, or out of memory: nothing is known to be ready; look again, the deadline still counts. */
      for (int i = 0; i < n; i++) fds[i].revents = 0;
      if (errno != EINTR) {
        struct timespec pause = { .tv_sec = 0, .tv_nsec = 20 * 1000000 };
        nanosleep(&pause, NULL);
      }
    }
    if (out_at >= 0 && fds[out_at].revents != 0 && !drain(c->out, &c->stdout_tail)) { close(c->out); c->out = -1; }
    if (err_at >= 0 && fds[err_at].revents != 0 && !drain(c->err, &c->stderr_tail)) { close(c->err); c->err = -1; }
    if (!exited && ((pid_at >= 0 && fds[pid_at].revents != 0) || ((pidfd < 0 || !polled) && waitpid(c->pid, &c->status, WNOHANG) == c->pid))) {
      if (pid_at >= 0 && fds[pid_at].revents != 0) while (waitpid(c->pid, &c->status, 0) < 0 && errno == EINTR) {}
      exited = true;
      drain_deadline = now_ms() + DRAIN_AFTER_EXIT_MS;
      continue;
    }
    now = now_ms();
    if (!exited && !c->timed_out && now >= deadline) {
      c->timed_out = true;
      kill(c->pid, SIGKILL);
      deadline = INT64_MAX / 2;
    }
    if (exited && now >= drain_deadline && (c->out >= 0 || c->err >= 0)) {
      c->drain_cut = true;
      break;
    }
  }
  if (pidfd >= 0) close(pidfd);
  if (c->out >= 0) close(c->out);
  if (c->err >= 0) close(c->err);
}

static napi_value string_of(napi_env env, const tail_buffer *tail) {
  size_t count;
  const char *bytes = tail_bytes(tail, &count);
  napi_value value;
  napi_create_string_utf8(env, count == 0 ? "" : bytes, count, &value);
  return value;
}

static void free_child(child *c) {
  free(c->stdout_tail.data);
  free(c->stderr_tail.data);
  free(c);
}

/* On the main thread: { exitCode | signal, stdout, stderr, timedOut, truncated, outputCut } to the callback. */
static void deliver(napi_env env, napi_value js_callback, void *context, void *data) {
  (void)js_callback;
  instance *self = context;
  child *c = data;
  if (env != NULL) {
    napi_value result, callback, undefined, value;
    napi_create_object(env, &result);
    if (WIFSIGNALED(c->status)) {
      napi_create_int32(env, WTERMSIG(c->status), &value);
      napi_set_named_property(env, result, "signal", value);
    } else {
      napi_create_int32(env, WEXITSTATUS(c->status), &value);
      napi_set_named_property(env, result, "exitCode", value);
    }
    napi_set_named_property(env, result, "stdout", string_of(env, &c->stdout_tail));
    napi_set_named_property(env, result, "stderr", string_of(env, &c->stderr_tail));
    napi_get_boolean(env, c->timed_out, &value);
    napi_set_named_property(env, result, "timedOut", value);
    napi_get_boolean(env, tail_truncated(&c->stdout_tail) || tail_truncated(&c->stderr_tail), &value);
    napi_set_named_property(env, result, "truncated", value);
    napi_get_boolean(env, c->drain_cut, &value);
    napi_set_named_property(env, result, "outputCut", value);
    napi_get_reference_value(env, c->callback, &callback);
    napi_delete_reference(env, c->callback);
    napi_get_undefined(env, &undefined);
    napi_call_function(env, undefined, callback, 1, &result, NULL);
    /* A pending child keeps the process alive; none pending, the function does not. */
    if (--self->pending == 0) napi_unref_threadsafe_function(env, self->tsfn);
  }
  free_child(c);
}

static void finish_child(child *c) {
  napi_threadsafe_function tsfn = c->tsfn;
  if (napi_call_threadsafe_function(tsfn, c, napi_tsfn_blocking) != napi_ok) free_child(c);
  napi_release_threadsafe_function(tsfn, napi_tsfn_release);
}

/*
 * Waiter threads are kept: one that has seen its child to the end waits up to WAITER_IDLE_S
 * for the next before it exits. A new thread per child was two tasks created per command
 * (the child and its waiter), and creating a task is dear in a VM (its kernel stack mapped and
 * zeroed: clone3 was 12 % of the agent's CPU per RunHook, docs/PERFORMANCE.md §4.6). Each thread
 * still watches one child at a time; one is started only when none is free.
 */
#define WAITER_IDLE_S 10

static pthread_mutex_t waiters_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t waiters_wake = PTHREAD_COND_INITIALIZER;
static child *handed = NULL; /* a child given to an idle waiter, not yet taken */
static uint32_t idle_waiters = 0;

static void *waiter_thread(void *data) {
  child *c = data;
  for (;;) {
    watch(c);
    finish_child(c);
    pthread_mutex_lock(&waiters_lock);
    idle_waiters++;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += WAITER_IDLE_S;
    while (handed == NULL) {
      if (pthread_cond_timedwait(&waiters_wake, &waiters_lock, &until) == ETIMEDOUT && handed == NULL) break;
    }
    idle_waiters--;
    c = handed;
    handed = NULL;
    pthread_mutex_unlock(&waiters_lock);
    if (c == NULL) return NULL;
  }
}

/* Gives the child to an idle waiter, or starts one; false when no thread could be started. */
static bool wait_for(child *c) {
  pthread_mutex_lock(&waiters_lock);
  /* An idle waiter that has not yet taken the last child handed over cannot take this one. */
  if (idle_waiters > 0 && handed == NULL) {
    handed = c;
    pthread_cond_signal(&waiters_wake);
    pthread_mutex_unlock(&waiters_lock);
    return true;
  }
  pthread_mutex_unlock(&waiters_lock);
  pthread_attr_t thread_attr;
  pthread_attr_init(&thread_attr);
  pthread_attr_setdetachstate(&thread_attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&thread_attr, 256 * 1024);
  pthread_t thread;
  bool started = pthread_create(&thread, &thread_attr, waiter_thread, c) == 0;
  pthread_attr_destroy(&thread_attr);
  return started;
}

static napi_value throw_error(napi_env env, const char *message) {
  napi_throw_error(env, "LOCKSTEP_E_INTERNAL", message);
  return NULL;
}

/* A JavaScript string as a malloc'ed C string; NULL when it is not a string. */
static char *c_string(napi_env env, napi_value value) {
  size_t length;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &length) != napi_ok) return NULL;
  char *text = malloc(length + 1);
  if (text != NULL) napi_get_value_string_utf8(env, value, text, length + 1, &length);
  return text;
}

/* A JavaScript array of strings as a NULL-terminated vector, `extra` empty slots in front. */
static char **c_strings(napi_env env, napi_value array, uint32_t extra) {
  uint32_t count;
  if (napi_get_array_length(env, array, &count) != napi_ok) return NULL;
  char **vector = calloc(count + extra + 1, sizeof *vector);
  for (uint32_t i = 0; vector != NULL && i < count; i++) {
    napi_value item;
    napi_get_element(env, array, i, &item);
    if ((vector[extra + i] = c_string(env, item)) == NULL) {
      for (uint32_t j = extra; j < extra + i; j++) free(vector[j]);
      free(vector);
      return NULL;
    }
  }
  return vector;
}

static void free_strings(char **vector, uint32_t from) {
  if (vector == NULL) return;
  for (char **item = vector + from; *item != NULL; item++) free(*item);
  free(vector);
}

/* One posix_spawn; a file that is not an executable format runs through /bin/sh, as execvp does. */
static int spawn_file(pid_t *pid, const char *file, const posix_spawn_file_actions_t *actions, const posix_spawnattr_t *attr, char **argv, char **envp) {
  int error = posix_spawn(pid, file, actions, attr, argv + 1, envp);
  if (error != ENOEXEC) return error;
  argv[0] = "/bin/sh";
  const char *saved = argv[1];
  argv[1] = (char *)file;
  error = posix_spawn(pid, "/bin/sh", actions, attr, argv, envp);
  argv[1] = (char *)saved;
  return error;
}

/*
 * execvp's search, on the child's PATH (libuv sets the child's environ, then calls execvp):
 * a name without a slash is tried in each PATH directory in turn.
 */
static int spawn_searching(pid_t *pid, const char *file, const posix_spawn_file_actions_t *actions, const posix_spawnattr_t *attr, char **argv, char **envp) {
  if (*file == '\0') return ENOENT;
  if (strchr(file, '/') != NULL) return spawn_file(pid, file, actions, attr, argv, envp);
  const char *path = DEFAULT_PATH;
  for (char **entry = envp; *entry != NULL; entry++)
    if (strncmp(*entry, "PATH=", 5) == 0) path = *entry + 5;
  size_t file_length = strlen(file);
  bool denied = false;
  for (const char *dir = path;; dir++) {
    const char *end = strchrnul(dir, ':');
    size_t dir_length = (size_t)(end - dir);
    char *candidate = malloc(dir_length + file_length + 2);
    if (candidate == NULL) return ENOMEM;
    memcpy(candidate, dir, dir_length);
    /* An empty entry is the current directory. */
    size_t at = dir_length;
    if (dir_length > 0) candidate[at++] = '/';
    memcpy(candidate + at, file, file_length + 1);
    int error = spawn_file(pid, candidate, actions, attr, argv, envp);
    free(candidate);
    if (error == 0) return 0;
    if (error == EACCES) denied = true;
    else if (error != ENOENT && error != ENOTDIR && error != ESTALE && error != ENODEV && error != ETIMEDOUT) return error;
    if (*end == '\0') break;
    dir = end;
  }
  return denied ? EACCES : ENOENT;
}

/* Pipes, stdin on /dev/null, default signal dispositions and an empty mask, the cwd. */
static int start(pid_t *pid, int out[2], int err[2], const char *file, const char *cwd, char **argv, char **envp) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  sigset_t all, none;
  /*
   * Every signal, glibc's two internal ones (32, 33) too: sigfillset leaves them out, and
   * posix_spawn then leaves them ignored in the child, which exec keeps; fork does not.
   */
  memset(&all, 0xff, sizeof all);
  sigemptyset(&none);
  if (pipe2(out, O_CLOEXEC) != 0) return errno;
  if (pipe2(err, O_CLOEXEC) != 0) {
    int error = errno;
    close(out[0]);
    close(out[1]);
    return error;
  }
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attr);
#if HAVE_ADDCHDIR
  if (cwd != NULL) posix_spawn_file_actions_addchdir_np(&actions, cwd);
#else
  if (cwd != NULL) {
    close(out[0]); close(out[1]); close(err[0]); close(err[1]);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    return ENOSYS;
  }
#endif
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  /* Node ignores SIGPIPE, and an ignored disposition survives exec: children start with the defaults, as libuv gives them. */
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  int error = spawn_searching(pid, file, &actions, &attr, argv, envp);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(out[1]);
  close(err[1]);
  if (error != 0) {
    close(out[0]);
    close(err[0]);
    return error;
  }
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  fcntl(err[0], F_SETFL, O_NONBLOCK);
  return 0;
}

/*
 * spawn(file, argv, env, cwd, timeoutMs, maxOutputBytes, callback) -> pid, or -errno when it
 * could not start. `file` is what is executed (a name is looked up on env's PATH), argv[0] is
 * what the program is told; env is an array of "NAME=value"; cwd may be null. The callback
 * gets the result once the child has exited and its pipes are closed (or 2 s later).
 */
static napi_value spawn(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value args[7];
  instance *self;
  napi_get_instance_data(env, (void **)&self);
  if (napi_get_cb_info(env, info, &argc, args, NULL, NULL) != napi_ok || argc != 7) return throw_error(env, "spawn: seven arguments");
  napi_valuetype cwd_type, callback_type;
  napi_typeof(env, args[3], &cwd_type);
  napi_typeof(env, args[6], &callback_type);
  double timeout_ms, max_bytes;
  if (napi_get_value_double(env, args[4], &timeout_ms) != napi_ok || napi_get_value_double(env, args[5], &max_bytes) != napi_ok || callback_type != napi_function)
    return throw_error(env, "spawn: timeoutMs and maxOutputBytes must be numbers, callback a function");
  char *file = c_string(env, args[0]);
  char *cwd = cwd_type == napi_null ? NULL : c_string(env, args[3]);
  /* One free slot in front of argv: /bin/sh for a script without #! (spawn_file). */
  char **argv = c_strings(env, args[1], 1);
  char **envp = c_strings(env, args[2], 0);
  napi_value result;
  if (file == NULL || argv == NULL || argv[1] == NULL || envp == NULL || (cwd_type != napi_null && cwd == NULL)) {
    free(file); free(cwd); free_strings(argv, 1); free_strings(envp, 0);
    return throw_error(env, "spawn: file, argv (not empty), env and cwd must be strings");
  }
  pid_t pid = 0;
  int out[2], err[2];
  int error = start(&pid, out, err, file, cwd, argv, envp);
  free(file); free(cwd); free_strings(argv, 1); free_strings(envp, 0);
  if (error != 0) {
    napi_create_int32(env, -error, &result);
    return result;
  }
  child *c = calloc(1, sizeof *c);
  size_t limit = max_bytes < 0 ? 0 : (size_t)max_bytes;
  if (c != NULL) {
    *c = (child){ .pid = pid, .out = out[0], .err = err[0], .timeout_ms = timeout_ms < 0 ? 0 : (int64_t)timeout_ms, .tsfn = self->tsfn };
    c->stdout_tail.limit = c->stderr_tail.limit = limit;
    napi_create_reference(env, args[6], 1, &c->callback);
  }
  napi_acquire_threadsafe_function(self->tsfn);
  if (c == NULL || !wait_for(c)) {
    napi_release_threadsafe_function(self->tsfn, napi_tsfn_release);
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
    close(out[0]);
    close(err[0]);
    if (c != NULL) {
      napi_delete_reference(env, c->callback);
      free(c);
    }
    napi_create_int32(env, -EAGAIN, &result);
    return result;
  }
  if (self->pending++ == 0) napi_ref_threadsafe_function(env, self->tsfn);
  napi_create_int32(env, pid, &result);
  return result;
}

static void free_instance(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  instance *self = calloc(1, sizeof *self);
  napi_value name, fn;
  if (self == NULL) return throw_error(env, "spawn addon: out of memory");
  napi_create_string_utf8(env, "lockstep native spawn", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, NULL, NULL, self, deliver, &self->tsfn) != napi_ok) {
    free(self);
    return throw_error(env, "spawn addon: napi_create_threadsafe_function failed");
  }
  /* Referenced only while a child is pending (spawn, deliver). */
  napi_unref_threadsafe_function(env, self->tsfn);
  napi_set_instance_data(env, self, free_instance, NULL);
  napi_create_function(env, "spawn", NAPI_AUTO_LENGTH, spawn, NULL, &fn);
  napi_set_named_property(env, exports, "spawn", fn);
  napi_value chdir_supported;
  napi_get_boolean(env, HAVE_ADDCHDIR, &chdir_supported);
  napi_set_named_property(env, exports, "chdir", chdir_supported);
  return exports;
}
