/**
 * Trigger: httpApi `ANY /console` and `ANY /console/{proxy+}` (serverless/console-<consoleAuth>.yml).
 * Guarantee: the operators' console (lib/console): pages need a sign-in (CONSOLE_TOKEN locally) or,
 * on deployed stages, a JWT the HTTP API's authorizer verified; every POST needs its CSRF token;
 * every change and every reveal of personal data is written to `console_audit`.
 */
import { consoleHttpJob } from '../lib/console/jobs';
import { consoleClients } from '../lib/runtime/clients/console';
import { createHandler } from '../lib/runtime/handler-runtime';

export const handler = createHandler('console', consoleHttpJob, consoleClients);
