import { describeCommands } from './commands';

describeCommands('dynalite');
