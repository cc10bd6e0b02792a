/** The package version, sent in the default User-Agent. Kept equal to package.json by a test. */
export const VERSION = '0.1.0';

export const DEFAULT_USER_AGENT = `dollr-client/${VERSION}`;
