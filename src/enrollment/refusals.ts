import { NotFound, UNAUTHORIZED, Unauthorized } from '../errors.js';

/**
 * The platform's words for refused EST requests: the 401s as a real tenant
 * answered them, the CA's state as the docs list it. Rules name the step that
 * refused, in the decision log.
 */
export const EST_MESSAGES = {
  /** Unknown ID, or its one-time password was used already [LIVE]. */
  noRequest:
    'No newDeviceRequest found for this ID. It may already be registered, check the audit logs for details.',
  /** [DOC] device-enroll-and-re-enroll.md. */
  noAuthority: 'Tenant CA certificate is either missing, expired, or has a validity of less than one year',
} as const;

export const noRequest = (reason: string) =>
  new Unauthorized(EST_MESSAGES.noRequest, { rule: 'enrollment-request', reason });

export const badCredentials = (reason: string) =>
  new Unauthorized(UNAUTHORIZED.credentials, { rule: 'enrollment-otp', reason });

export const noAuthority = (reason: string) =>
  new NotFound('Certificate Authority (CA)', EST_MESSAGES.noAuthority, { rule: 'tenant-ca', reason });
