#!/bin/bash
# Commit-to-wake latency between two processes (a writer and a blocked reader of a 1000/1 data flow) and the
# in-process cost of OpenGrain+CommitAll and TryGetGrain, using the GpuMesh.Mxl.TestPeer helper (Release build).
# Usage: tests/GpuMesh.Mxl.TestPeer/latency.sh [grains=3000] [period-us=1000]
# Build first: dotnet build -c Release tests/GpuMesh.Mxl.TestPeer
set -e
ART=${GPUMESH_ARTIFACTS:-$(cd "$(dirname "$0")/../.." && pwd)/artifacts}
P=$ART/bin/GpuMesh.Mxl.TestPeer/release/GpuMesh.Mxl.TestPeer.dll
[ -f "$P" ] || { echo "build the peer first: dotnet build -c Release tests/GpuMesh.Mxl.TestPeer" >&2; exit 1; }
D=/dev/shm/gpumesh-lat-$$; mkdir -p $D
trap 'rm -rf $D $D.def $D.def2 $D.fifo $D.wout $D.rout' EXIT
ID=$(cat /proc/sys/kernel/random/uuid)
echo "{\"id\":\"$ID\",\"label\":\"lat\",\"format\":\"urn:x-nmos:format:data\",\"media_type\":\"video/smpte291\",\"grain_rate\":{\"numerator\":1000,\"denominator\":1},\"tags\":{\"urn:x-nmos:tag:grouphint/v1.0\":[\"lat:data\"]}}" > $D.def
mkfifo $D.fifo
dotnet $P latency-writer $D $D.def ${1:-3000} ${2:-1000} < $D.fifo > $D.wout 2>&1 &
exec 3>$D.fifo
until grep -q ready $D.wout; do sleep 0.1; done
dotnet $P latency-reader $D $D.def ${1:-3000} > $D.rout 2>&1 &
RP=$!
until grep -q ready $D.rout; do sleep 0.1; done
sleep 0.3; echo go >&3; wait $RP; echo done >&3; exec 3>&-
grep -v ready $D.rout
ID2=$(cat /proc/sys/kernel/random/uuid); sed "s/$ID/$ID2/" $D.def > $D.def2
dotnet $P overhead $D $D.def2 200000
wait
