import ac from 'autocannon';
import { readFileSync } from 'node:fs';
const [url, pid, c, d] = [process.argv[2], process.argv[3], Number(process.argv[4] ?? 64), Number(process.argv[5] ?? 3)];
const cpu = () => { const s = readFileSync(`/proc/${pid}/stat`,'utf8'); const r = s.slice(s.lastIndexOf(')')+2).split(' '); return (Number(r[11])+Number(r[12]))*10000; };
const opts = {url: url + '/v1/chat/completions', method:'POST', headers:{'content-type':'application/json'}, body: JSON.stringify({model:'x',messages:[{role:'user',content:'hi'}]}), connections: c};
await ac({...opts, duration: 0.5});
const c0 = cpu(); const r = await ac({...opts, duration: d}); const c1 = cpu();
console.log(url, 'rps', Math.round(r['2xx']/r.duration), 'cpu/req', ((c1-c0)/r['2xx']).toFixed(1), 'errs', r.errors + r.non2xx);
