/** The AWS stand-in in its own process (as AWS would be), seeded with a fleet and a zone of web instances. */
import { startAwsStandIn } from '../test/fakes/aws/index.js';

const fleet = Number(process.argv[2] ?? 5_000);
const web = Number(process.argv[3] ?? 100);
const aws = await startAwsStandIn();
const zones = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
const ids: string[] = [];
for (let i = 0; i < fleet; i++) ids.push(aws.world.addInstance({ zone: zones[i % 3]!, tags: { app: 'fleet', Name: `fleet-${i}` } }).id);
for (let g = 0; g * 500 < fleet; g++) aws.world.addAsg({ name: `fleet-asg-${g}`, instanceIds: ids.slice(g * 500, (g + 1) * 500) });
const webIds: string[] = [];
for (let i = 0; i < web; i++) webIds.push(aws.world.addInstance({ zone: 'eu-west-1a', tags: { app: 'web', Name: `web-${i}` } }).id);
aws.world.addAsg({ name: 'web-asg', instanceIds: webIds });
process.stdout.write(`${JSON.stringify({ msg: 'ready', url: aws.standIn.url })}\n`);
// Any line on stdin: how the web instances and their group stand now.
process.stdin.on('data', () => {
  const states = webIds.map((id) => aws.world.instances.get(id)!.state);
  const count = (s: string) => states.filter((x) => x === s).length;
  process.stdout.write(`${JSON.stringify({ msg: 'web', running: count('running'), stopped: count('stopped') + count('stopping'), suspended: aws.world.asgs.get('web-asg')!.suspended })}\n`);
});
process.stdin.on('end', () => void aws.close().then(() => process.exit(0)));
