/** The credentials and names a simulator accepts unless told otherwise (tests, the demo and the README use them). */
export const simulatorDefaults = {
  port: 8090,
  clientId: 'simulator-client-id',
  /** Not a secret: the simulator's built-in demo credential. Real secrets come from env or files. */
  clientSecret: 'simulator-client-secret',
  orgId: 'SIMULATED0000000000000000@AdobeOrg',
  tenantId: 'simtenant',
  timeScale: 1,
  oneTrustSubjects: 120,
  oneTrustClient: {
    clientId: 'simulator-onetrust-client',
    clientSecret: 'simulator-onetrust-secret',
    tokenLifetimeSeconds: 365 * 24 * 3600,
  },
} as const;

/** Connection spec ids from the seed tutorial. */
export const connectionSpecIds = {
  oneTrust: 'cf16d886-c627-4872-9936-fb08d6cba8cc',
  dataLake: 'c604ff05-7f1a-43c0-8e18-33bf874cb11c',
} as const;

/** The flow spec id the seed uses for OneTrust → Data Lake. */
export const oneTrustFlowSpecId = '6499120c-0b15-42dc-936e-847ea3c24d72';
