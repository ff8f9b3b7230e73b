/**
 * Imported first by the entry point: silences the AWS SDK's Node 20 support warning before any
 * client is built (the SDK reads this variable when a client is constructed).
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
