/** Default validity in days, by kind: long-lived CAs, devices a year, servers what browsers accept. */
export const DEFAULT_DAYS = { ca: 3650, intermediate: 1825, device: 365, server: 397 } as const;

export const DEFAULT_SERVER_NAMES = ['localhost', '127.0.0.1', '::1'];
