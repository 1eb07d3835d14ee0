export { createAdminApi, accountAudit, ADMIN_API_ROUTES, type AdminApiDeps } from './admin-api';
