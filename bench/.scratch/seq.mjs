import { Client } from 'undici';
import { readFileSync } from 'node:fs';
const [origin, pid, n] = [process.argv[2], process.argv[3], Number(process.argv[4] ?? 3000)];
const cpu = () => { const s = readFileSync(`/proc/${pid}/stat`,'utf8'); const r = s.slice(s.lastIndexOf(')')+2).split(' '); return (Number(r[11])+Number(r[12]))*10000; };
const c = new Client(origin);
const body = JSON.stringify({model:'x',messages:[{role:'user',content:'hi'}]});
for (let i=0;i<300;i++){ const r = await c.request({path:'/v1/chat/completions',method:'POST',headers:{'content-type':'application/json'},body}); await r.body.text(); }
const c0 = cpu(); const t0 = performance.now(); const lat=[];
for (let i=0;i<n;i++){ const a=performance.now(); const r = await c.request({path:'/v1/chat/completions',method:'POST',headers:{'content-type':'application/json'},body}); await r.body.text(); lat.push(performance.now()-a); }
const t1 = performance.now(); const c1 = cpu();
lat.sort((a,b)=>a-b);
console.log(origin, 'p50', lat[n>>1].toFixed(3), 'p99', lat[Math.floor(n*0.99)].toFixed(3), 'cpu/req us', ((c1-c0)/n).toFixed(1), 'wall/req', ((t1-t0)*1000/n).toFixed(1));
await c.close();
