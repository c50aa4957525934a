// Reference forwarder, AF_XDP in copy mode (libxdp's default redirect program): frames come
// from the RX ring, get a MAC rewrite in place and leave by the TX ring of the same socket,
// out the same interface (one-armed, as a DR director). Tries native (driver) XDP on the veth
// first, then generic (skb) XDP, and says which one it got.
//
// usage: fwd_xdp IFNAME DSTMAC
#include "common.h"

#include <linux/if_link.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <xdp/xsk.h>

#define FRAMES 16384
#define FRAME_SIZE 2048
#define RING 8192
#define BATCH 64

static volatile sig_atomic_t stop;
static void on_signal(int s) { (void)s; stop = 1; }

static struct xsk_ring_prod fill, tx;
static struct xsk_ring_cons comp, rx;
static struct xsk_socket *xsk;
static uint8_t *area;

static int open_socket(const char *ifname, struct xsk_umem *umem, uint32_t xdp_flags) {
  struct xsk_socket_config cfg = {.rx_size = RING, .tx_size = RING, .xdp_flags = xdp_flags, .bind_flags = XDP_COPY};
  return xsk_socket__create(&xsk, ifname, 0, umem, &rx, &tx, &cfg);
}

/* Frames the kernel has finished sending go back to the fill ring for receiving. */
static void recycle(void) {
  uint32_t ci, fi;
  uint32_t n = xsk_ring_cons__peek(&comp, BATCH, &ci);
  if (n == 0) return;
  while (xsk_ring_prod__reserve(&fill, n, &fi) != n) {}
  for (uint32_t i = 0; i < n; i++) *xsk_ring_prod__fill_addr(&fill, fi + i) = *xsk_ring_cons__comp_addr(&comp, ci + i);
  xsk_ring_prod__submit(&fill, n);
  xsk_ring_cons__release(&comp, n);
}

/* Copy mode transmits at most 32 frames per sendto (the kernel's TX batch) and answers EAGAIN
 * while more wait: kick until the TX ring is drained, bounded, or a full RX batch leaves half
 * of itself behind every round and the TX ring starves the fill ring under load. */
static void kick(void) {
  for (uint32_t t = 0; t < RING / 32 + 2; t++) {
    if (sendto(xsk_socket__fd(xsk), NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0) return;
    if (errno != EAGAIN && errno != EBUSY) return;
  }
}

static uint32_t forward(const uint8_t dst[6], const uint8_t src[6]) {
  uint32_t ri, ti;
  uint32_t n = xsk_ring_cons__peek(&rx, BATCH, &ri);
  if (n == 0) return 0;
  while (xsk_ring_prod__reserve(&tx, n, &ti) != n) {
    recycle();
    sendto(xsk_socket__fd(xsk), NULL, 0, MSG_DONTWAIT, NULL, 0);
  }
  for (uint32_t i = 0; i < n; i++) {
    const struct xdp_desc *d = xsk_ring_cons__rx_desc(&rx, ri + i);
    uint8_t *f = xsk_umem__get_data(area, d->addr);
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    *xsk_ring_prod__tx_desc(&tx, ti + i) = *d;
  }
  xsk_ring_prod__submit(&tx, n);
  xsk_ring_cons__release(&rx, n);
  kick();
  return n;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: fwd_xdp IFNAME DSTMAC\n");
    return 2;
  }
  uint8_t dst[6], src[6];
  parse_mac(argv[2], dst);
  if_mac(argv[1], src);
  area = mmap(NULL, (size_t)FRAMES * FRAME_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (area == MAP_FAILED) die("mmap");
  struct xsk_umem *umem;
  struct xsk_umem_config ucfg = {.fill_size = RING, .comp_size = RING, .frame_size = FRAME_SIZE};
  int err = xsk_umem__create(&umem, area, (uint64_t)FRAMES * FRAME_SIZE, &fill, &comp, &ucfg);
  if (err) { errno = -err; die("xsk_umem__create"); }
  const char *mode = "native";
  err = open_socket(argv[1], umem, XDP_FLAGS_DRV_MODE);
  if (err) {
    mode = "generic";
    err = open_socket(argv[1], umem, XDP_FLAGS_SKB_MODE);
  }
  if (err) { errno = -err; die("xsk_socket__create (copy mode, native and generic XDP)"); }
  uint32_t fi;
  if (xsk_ring_prod__reserve(&fill, RING, &fi) != RING) die("fill ring");
  for (uint32_t i = 0; i < RING; i++) *xsk_ring_prod__fill_addr(&fill, fi + i) = (uint64_t)i * FRAME_SIZE;
  xsk_ring_prod__submit(&fill, RING);
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  printf("ready %s\n", mode);
  fflush(stdout);
  uint64_t forwarded = 0, idle = 0, idle_timeouts = 0;
  while (!stop) {
    recycle();
    uint32_t n = forward(dst, src);
    forwarded += n;
    if (n == 0) {
      struct pollfd p = {.fd = xsk_socket__fd(xsk), .events = POLLIN};
      idle++;
      if (poll(&p, 1, 100) == 0) idle_timeouts++;
    }
  }
  /* Where frames were lost, for a bench run that asks why this forwarder fell behind. */
  struct xdp_statistics st = {0};
  socklen_t len = sizeof(st);
  if (getsockopt(xsk_socket__fd(xsk), SOL_XDP, XDP_STATISTICS, &st, &len) != 0) memset(&st, 0, sizeof(st));
  xsk_socket__delete(xsk);
  xsk_umem__delete(umem);
  printf("forwarded %llu; idle polls %llu (%llu ran out); xdp rx_dropped %llu rx_ring_full %llu fill_ring_empty %llu tx_invalid %llu tx_ring_empty %llu\n",
         (unsigned long long)forwarded, (unsigned long long)idle, (unsigned long long)idle_timeouts,
         (unsigned long long)st.rx_dropped, (unsigned long long)st.rx_ring_full, (unsigned long long)st.rx_fill_ring_empty_descs,
         (unsigned long long)st.rx_invalid_descs + st.tx_invalid_descs, (unsigned long long)st.tx_ring_empty_descs);
  return 0;
}
