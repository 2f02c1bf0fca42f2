using System.Diagnostics;
using GpuMesh.Interop.Mxl;
using Xunit;

namespace GpuMesh.Interop.Mxl.Tests;

public class CrossProcessTests
{
    [Fact]
    public void BlockingReadIsWokenByCommitInAnotherProcess()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        string json = Defs.Video(id);
        using FlowWriter w = d.Domain.CreateFlowWriter(json, null, out _);
        using FlowReader r = d.Domain.OpenFlowReader(id);
        using Peer peer = new("commit", d.Path, Defs.WriteTemp(d, json), "777", "400");
        peer.WaitForLine("ready");
        Assert.Equal(MxlStatus.TooEarly, r.TryGetGrain(777, out _));
        peer.Send("go"); // the peer commits 400 ms later
        Stopwatch sw = Stopwatch.StartNew();
        MxlStatus s = r.GetGrain(777, TimeSpan.FromSeconds(20), out GrainView g);
        long waited = sw.ElapsedMilliseconds;
        Assert.Equal(MxlStatus.Ok, s);
        Assert.Equal(777ul % 256, g.Payload[0]);
        // Without a cross-process (shared) futex wake the read would sleep until its 20 s timeout.
        Assert.True(waited < 10_000, $"read returned after {waited} ms: not woken by the other process");
        Assert.Equal(0, peer.WaitForExit());
        Assert.True(d.Domain.FlowExists(id)); // this process still writes it
    }

    [Fact]
    public void PartialCommitInAnotherProcessWakesReaderWithMinimumSlices()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        string json = Defs.Video(id, 64, 20);
        using FlowWriter w = d.Domain.CreateFlowWriter(json, null, out _);
        using FlowReader r = d.Domain.OpenFlowReader(id);
        using Peer peer = new("commit", d.Path, Defs.WriteTemp(d, json), "55", "150", "12");
        peer.WaitForLine("ready");
        peer.Send("go");
        Assert.Equal(MxlStatus.Ok, r.GetGrain(55, TimeSpan.FromSeconds(15), out GrainView g, minValidSlices: 10));
        Assert.Equal(12, g.ValidSlices);
        Assert.Equal(MxlStatus.TooEarly, r.TryGetGrain(55, out _));
        Assert.Equal(0, peer.WaitForExit());
    }

    [Fact]
    public void FlowCreatedByAnotherProcessIsOpenedNotCreated()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        string json = Defs.Video(id);
        using Peer peer = new("hold", d.Path, Defs.WriteTemp(d, json));
        Assert.Equal("ready created", peer.WaitForLine("ready"));
        using (FlowWriter w = d.Domain.CreateFlowWriter(json, null, out bool created))
        {
            Assert.False(created);
            w.OpenGrain(9).Payload.Fill(9);
            w.CommitAll();
        }
        Assert.True(d.Domain.FlowExists(id)); // the peer is still a writer
        using FlowReader r = d.Domain.OpenFlowReader(id);
        Assert.Equal(MxlStatus.Ok, r.TryGetGrain(9, out _));
        peer.Kill();
    }

    [Fact]
    public void ConcurrentCreatorProcessesEndWithExactlyOneCreator()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        string defFile = Defs.WriteTemp(d, Defs.Video(id));
        Peer[] peers = Enumerable.Range(0, 4).Select(_ => new Peer("hold", d.Path, defFile, "go")).ToArray();
        try
        {
            foreach (Peer p in peers) p.WaitForLine("waiting");
            foreach (Peer p in peers) p.Send("go"); // all four create at once
            string[] results = peers.Select(p => p.WaitForLine("ready")).ToArray();
            Assert.Equal(1, results.Count(r => r == "ready created"));
            Assert.Equal(3, results.Count(r => r == "ready opened"));
            using FlowWriter mine = d.Domain.CreateFlowWriter(Defs.Video(id), null, out bool created);
            Assert.False(created);
            Assert.Equal([id], d.Domain.ListFlows());
            Assert.Empty(Directory.GetDirectories(d.Path, ".mxl-tmp-*"));
        }
        finally
        {
            foreach (Peer p in peers) p.Dispose();
        }
        // Every writer is gone (the peers were killed, this one disposed): GC removes the flow.
        Assert.False(d.Domain.IsFlowActive(id));
        d.Domain.CollectGarbage();
        Assert.False(d.Domain.FlowExists(id));
    }
}
