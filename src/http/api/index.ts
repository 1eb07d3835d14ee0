export { createConsoleApi, CONSOLE_API_ROUTES, presentOperator, type ConsoleApiDeps } from './console-api';
export { callView, callerHistory, HISTORY_DAYS, type CallView, type HistoryEntry, type MyCallView } from './call-views';
export { NOT_READY_REASONS } from './api-schemas';
