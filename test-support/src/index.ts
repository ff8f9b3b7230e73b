export {
  type AdapterUnderTest,
  type AppOptions,
  type ContractRepositoryLike,
  type CookieJarFetch,
  cookieJarFetch,
  countCommands,
  describeAdapterContract,
  describeAdapterContractOnRepository,
  type RepositoryAdapterUnderTest,
  type RunningApp,
} from './adapter-contract';
export { type DemoServer, startDemoServer, useDemoServer } from './demo-server';
export {
  LOCAL_CLIENT_CONFIG,
  type LocalDynamoServer,
  type LocalServerName,
  startDynalite,
  startDynamoDBLocal,
} from './local-servers';
export {
  type ContractFixture,
  type ContractRepository,
  describeRepositoryContract,
} from './repository-contract';
export {
  createTestTable,
  dropTable,
  localClient,
  type TestServer,
  type TestTable,
  testServers,
  uniqueTableName,
  useTestTable,
  waitUntilActive,
} from './test-tables';
