import { createAzureFixture } from './azure.fixture.js';
import { describeProviderContract } from './contract.js';

describeProviderContract(createAzureFixture());
