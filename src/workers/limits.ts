// How many workers a director may run. A fanout group holds at most 256
// members (the kernel's PACKET_FANOUT_MAX until 5.x; newer kernels take more, but no supported
// host has that many cores).
export const MAX_WORKERS = 256;
