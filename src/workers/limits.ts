// How many workers a director may run, and with what not yet. A fanout group holds at most 256
// members (the kernel's PACKET_FANOUT_MAX until 5.x; newer kernels take more, but no supported
// host has that many cores).
export const MAX_WORKERS = 256;

/**
 * Connection sync sends and applies worker 0's table only (its sender follows one table's
 * changes): with more workers a backup would miss the other workers' flows without a word.
 */
export const WORKERS_WITH_SYNC = 'connection sync (lvs_sync_daemon) runs with one worker only for now: '
  + 'it would sync worker 0\'s connections alone (docs/workers.md); run --workers 1 or remove lvs_sync_daemon';
