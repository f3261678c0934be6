import { SecurityHubClient, GetFindingsCommand } from '@aws-sdk/client-securityhub';
import { Readable } from 'node:stream';
const handler = { handle: async () => ({ response: { statusCode: 200, headers: {'content-type':'application/json'}, body: Readable.from([Buffer.from('{"Findings":[]}')]) } }) };
const extra = process.env.EXTRA ? JSON.parse(process.env.EXTRA) : {};
const mk = () => new SecurityHubClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, requestHandler: handler, ...extra });
for (let i = 0; i < 300; i++) await mk().send(new GetFindingsCommand({}));
const c0 = process.cpuUsage(); for (let i = 0; i < 3000; i++) await mk().send(new GetFindingsCommand({})); const c = process.cpuUsage(c0);
console.log(JSON.stringify(extra), ((c.user + c.system) / 1000 / 3000).toFixed(3), 'ms CPU per call');
