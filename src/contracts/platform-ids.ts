/** Fixed AEP ids the seed tutorial gives for a OneTrust → Data Lake dataflow. */
export const oneTrustConnectionSpec = { id: 'cf16d886-c627-4872-9936-fb08d6cba8cc', version: '1.0' } as const;
export const dataLakeConnectionSpec = { id: 'c604ff05-7f1a-43c0-8e18-33bf874cb11c', version: '1.0' } as const;
export const oneTrustFlowSpec = { id: '6499120c-0b15-42dc-936e-847ea3c24d72', version: '1.0' } as const;
/** The auth spec name the seed sends with the OneTrust access token. */
export const oneTrustAuthSpecName = 'OAuth2 Refresh Code';
/** How datasets, mapping sets and target connections refer to the schema's resolved form. */
export const xdmFullContentType = 'application/vnd.adobe.xed-full+json;version=1';
