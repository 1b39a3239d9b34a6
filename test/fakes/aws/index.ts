/**
 * The AWS stand-in with EC2 and Auto Scaling behind it, over one Ec2World. FIS ('fis') and CloudWatch
 * ('monitoring') register their own handlers on `standIn` in their own files.
 */
import { AwsStandIn, TEST_CREDENTIALS } from './aws-standin.js';
import { registerAutoScaling } from './autoscaling-service.js';
import { Ec2World } from './ec2-world.js';
import { registerEc2 } from './ec2-service.js';

export { AwsStandIn, TEST_CREDENTIALS } from './aws-standin.js';
export { Ec2World, type FakeAsg, type FakeInstance, type FakeSubnet, type InstanceState, type WorldChange } from './ec2-world.js';
export { registerEc2 } from './ec2-service.js';
export { registerAutoScaling } from './autoscaling-service.js';

export interface AwsStandInHandle {
  standIn: AwsStandIn;
  world: Ec2World;
  /** For any SDK v3 client: `new EC2Client(clientConfig)`. */
  clientConfig: { region: string; endpoint: string; credentials: typeof TEST_CREDENTIALS };
  close(): Promise<void>;
}

export async function startAwsStandIn(): Promise<AwsStandInHandle> {
  const standIn = await AwsStandIn.start();
  const world = new Ec2World();
  registerEc2(standIn, world);
  registerAutoScaling(standIn, world);
  return {
    standIn,
    world,
    clientConfig: { region: 'eu-west-1', endpoint: standIn.url, credentials: TEST_CREDENTIALS },
    close: () => standIn.close(),
  };
}
