import { modelsFor } from './models';
import { OPERATIONS, RESOURCES } from './operations';

/** Swagger 1.1 documents in the shape Asterisk serves under /ari/api-docs/, generated from operations.ts. */
export const ARI_API_VERSION = '10.0.0';

export function resourceListing(basePath: string): Record<string, unknown> {
  return {
    apiVersion: ARI_API_VERSION,
    swaggerVersion: '1.1',
    basePath,
    apis: RESOURCES.map((r) => ({ path: `/api-docs/${r}.{format}`, description: `${r} resources` })),
  };
}

export function resourceDocument(resource: string, basePath: string): Record<string, unknown> | undefined {
  if (!RESOURCES.includes(resource)) return undefined;
  const byPath = new Map<string, typeof OPERATIONS>();
  for (const op of OPERATIONS.filter((o) => o.resource === resource)) {
    byPath.set(op.path, [...(byPath.get(op.path) ?? []), op]);
  }
  return {
    apiVersion: ARI_API_VERSION,
    swaggerVersion: '1.1',
    basePath,
    resourcePath: `/api-docs/${resource}.{format}`,
    apis: [...byPath.entries()].map(([path, ops]) => ({
      path,
      description: `${resource}`,
      operations: ops.map((op) => ({
        httpMethod: op.httpMethod,
        summary: op.nickname,
        nickname: op.nickname,
        responseClass: op.responseClass,
        ...(op.nickname === 'eventWebsocket' ? { upgrade: 'websocket', websocketProtocol: 'ari' } : {}),
        parameters: op.parameters.map((p) => ({
          name: p.name,
          paramType: p.paramType,
          required: p.required,
          allowMultiple: p.allowMultiple,
          dataType: p.dataType,
        })),
      })),
    })),
    models: modelsFor(resource),
  };
}
