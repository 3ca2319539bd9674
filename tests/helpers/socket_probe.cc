// LD_PRELOADed into pcapscope by tests/corpus/sandbox_cli.py: after main()
// returns (an atexit handler registered before main runs), it tries to make
// a socket from inside the process and writes what happened to the file
// named by SOCKET_PROBE_OUT:
//   "socket=<fd or -1> errno=<n> seccomp=<Seccomp: field of /proc/self/status>"
// With the sandbox in force the socket fails with EPERM (errno=1).
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

void probe() {
  const char* out = getenv("SOCKET_PROBE_OUT");
  if (!out) return;
  errno = 0;
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  const int err = errno;
  char mode[32] = "?";
  FILE* st = fopen("/proc/self/status", "r");
  if (st) {
    char line[256];
    while (fgets(line, sizeof line, st)) {
      if (strncmp(line, "Seccomp:", 8) == 0) {
        sscanf(line + 8, "%31s", mode);
        break;
      }
    }
    fclose(st);
  }
  FILE* f = fopen(out, "w");
  if (f) {
    fprintf(f, "socket=%d errno=%d seccomp=%s\n", fd < 0 ? -1 : fd, err, mode);
    fclose(f);
  }
  if (fd >= 0) close(fd);
}

__attribute__((constructor)) void install() { std::atexit(probe); }

}  // namespace
