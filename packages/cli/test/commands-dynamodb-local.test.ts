import { describeCommands } from './commands';

describeCommands('dynamodb-local');
