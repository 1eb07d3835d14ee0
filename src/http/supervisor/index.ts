export { createSupervisorApi, SUPERVISOR_API_ROUTES, type SupervisorApiDeps } from './supervisor-api';
