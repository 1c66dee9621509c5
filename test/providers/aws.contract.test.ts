import { createAwsFixture } from './aws.fixture.js';
import { describeProviderContract } from './contract.js';

describeProviderContract(createAwsFixture());
