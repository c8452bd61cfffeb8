// What other suites reuse (@fleet/faults/support): the hold site, the loss audit, the table rows.
export { type Audit, type AuditSource, auditBatch, eventsOf, leasedAfter } from './audit.js';
export { type HoldSite, type HoldVisit, startHoldSite } from './hold-site.js';
export { appendRow, type Losses, NO_LOSSES } from './table.js';
