import http from 'node:http';
const body = 'x'.repeat(1100);
http.createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(200, {'content-type':'application/json'}); res.end(body); }); }).listen(0, '127.0.0.1', function(){ console.log(this.address().port) });
