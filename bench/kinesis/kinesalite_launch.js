// Starts kinesalite bound to loopback only (its own CLI listens on every interface).
// Usage: node kinesalite_launch.js PORT [LEVELDB_PATH]
'use strict'
const kinesalite = require('kinesalite')

const port = Number(process.argv[2])
const options = { createStreamMs: 50, deleteStreamMs: 50, updateStreamMs: 50, shardLimit: 100 }
if (process.argv[3]) options.path = process.argv[3]

kinesalite(options).listen(port, '127.0.0.1', () => {
  console.log(`kinesalite listening on http://127.0.0.1:${port}`)
})
