export { createAuth, type Auth, type AuthOptions } from './create-auth';
export { createAuthMiddleware, CSRF_HEADER, type AuthMiddleware } from './auth-middleware';
export { createAuthRouter } from './auth-router';
export { authOf, type AuthContext } from './auth-context';
export { SessionStore, type Session, type SessionOptions } from './session-store';
export { LoginThrottle, type LoginThrottleOptions, type ThrottleLimit } from './login-throttle';
