/**
 * The AWS stand-in with EC2 and Auto Scaling behind it over one Ec2World, and FIS over a FisWorld
 * (with nothing in it unless a test adds templates). CloudWatch ('monitoring') registers its own
 * handler on `standIn` (registerCloudWatch); a test may register its own FIS world the same way.
 */
import { AwsStandIn, TEST_CREDENTIALS } from './aws-standin.js';
import { registerAutoScaling } from './autoscaling-service.js';
import { Ec2World } from './ec2-world.js';
import { registerEc2 } from './ec2-service.js';
import { registerFis } from './fis-service.js';
import { FisWorld } from './fis-world.js';

export { AwsStandIn, TEST_CREDENTIALS } from './aws-standin.js';
export { Ec2World, type FakeAsg, type FakeInstance, type FakeSubnet, type InstanceState, type WorldChange } from './ec2-world.js';
export { registerEc2 } from './ec2-service.js';
export { registerAutoScaling } from './autoscaling-service.js';

export interface AwsStandInHandle {
  standIn: AwsStandIn;
  world: Ec2World;
  fis: FisWorld;
  /** For any SDK v3 client: `new EC2Client(clientConfig)`. */
  clientConfig: { region: string; endpoint: string; credentials: typeof TEST_CREDENTIALS };
  close(): Promise<void>;
}

export async function startAwsStandIn(): Promise<AwsStandInHandle> {
  const standIn = await AwsStandIn.start();
  const world = new Ec2World();
  registerEc2(standIn, world);
  registerAutoScaling(standIn, world);
  const fis = new FisWorld();
  registerFis(standIn, fis);
  return {
    standIn,
    world,
    fis,
    clientConfig: { region: 'eu-west-1', endpoint: standIn.url, credentials: TEST_CREDENTIALS },
    close: () => standIn.close(),
  };
}
