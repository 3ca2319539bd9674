// Placeholder until the incident capture lands.
#include <cstdio>
int main() {
  std::fprintf(stderr, "pcapscope-make-incidents: not built yet\n");
  return 2;
}
