// The package's public API (`import { Director } from 'lvs-director'`): the embeddable director,
// the keepalived.conf loader, the network-namespace lab, and the types they take and return
// (among them the adm snapshot and edits a running director reads and applies).

export {
  Director, METRICS_CONTENT_TYPE, type DirectorOptions, type DirectorStats, type ReloadChange, type ReloadResult, type SyncRole,
} from './director.js';
export type { LogCallback, LogEntry, LogFields, Logger } from './log/logger.js';
export type { SyncTransport } from './sync/sync-transport.js';
export type { ConnSyncStats } from './sync/conn-sync.js';
export type { RealServerStats, ServiceStats } from './director-stats.js';
export type { AdmEdit } from './adm/edit-config.js';
export { AdmEditError } from './adm/edit-config.js';
export type { ServerKey, ServerSettings, ServiceKey, ServiceSettings } from './adm/commands.js';
export type { AdmConnection, AdmRealServer, AdmService, AdmSnapshot, AdmTimeouts } from './adm/model.js';
export { loadKeepalivedConfig, parseKeepalivedConfig } from './config/load.js';
export {
  ConfigError,
  type ConfigWarning,
  type DirectorConfig,
  type ForwardMethod,
  type HealthCheckConfig,
  type Protocol,
  type RealServerConfig,
  type VirtualServerConfig,
} from './config/model.js';
export { createLab, type Lab, type LabAttachment, type LabSpec } from './lab/lab.js';
export type { LabHandle, LabHost } from './lab/topology.js';
