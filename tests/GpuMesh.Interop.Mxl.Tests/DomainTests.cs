using GpuMesh.Interop.Mxl;
using Xunit;

namespace GpuMesh.Interop.Mxl.Tests;

public class DomainTests
{
    [Fact]
    public void ListFlowsTakesOnlyUuidFlowDirectories()
    {
        using TempDomain d = new();
        Guid a = Guid.NewGuid(), b = Guid.NewGuid();
        using FlowWriter wa = d.Domain.CreateFlowWriter(Defs.Video(a), null, out _);
        using ContinuousFlowWriter wb = d.Domain.CreateContinuousFlowWriter(Defs.Audio(b), null, out _);
        Directory.CreateDirectory(Path.Combine(d.Path, "not-a-uuid.mxl-flow"));
        Directory.CreateDirectory(Path.Combine(d.Path, Guid.NewGuid() + ".other"));
        File.WriteAllText(Path.Combine(d.Path, Guid.NewGuid() + ".mxl-flow.txt"), "");
        Assert.Equal(new[] { a, b }.Order(), d.Domain.ListFlows());
        Assert.True(d.Domain.IsOnTmpfs);
        FlowInfo ia = d.Domain.GetFlowInfo(a);
        Assert.Equal(MxlDataFormat.Video, ia.Format);
        Assert.Equal(10u, ia.GrainCount);
        FlowInfo ib = d.Domain.GetFlowInfo(b);
        Assert.True(ib.IsContinuous);
        Assert.Equal(2u, ib.ChannelCount);
        Assert.Equal(19456u, ib.BufferLength);
    }

    [Fact]
    public void InvalidOptionsFileIsIgnoredWithAWarning()
    {
        using TempDomain d = new();
        File.WriteAllText(Path.Combine(d.Path, "options.json"), "{\"urn:x-mxl:option:history_duration/v1.0\": \"long\"}");
        MxlDomain reopened = MxlDomain.Open(d.Path);
        Assert.Equal(200_000_000ul, reopened.HistoryDurationNs);
        Assert.Single(reopened.Warnings);
        File.WriteAllText(Path.Combine(d.Path, "options.json"), "{ broken");
        Assert.Single(MxlDomain.Open(d.Path).Warnings);
        File.WriteAllText(Path.Combine(d.Path, "options.json"), "{\"urn:x-mxl:option:history_duration/v1.0\": 400000000}");
        Assert.Equal(400_000_000ul, MxlDomain.Open(d.Path).HistoryDurationNs);
    }

    [Fact]
    public void OpenWithoutCreateFailsForMissingDomain()
    {
        string path = Path.Combine("/dev/shm", "gpumesh-missing-" + Guid.NewGuid().ToString("N"));
        var e = Assert.Throws<MxlException>(() => MxlDomain.Open(path, create: false));
        Assert.Contains(path, e.Message);
        Assert.False(Directory.Exists(path));
    }

    [Fact]
    public void GarbageCollectionRemovesOnlyDeadFlows()
    {
        using TempDomain d = new();
        Guid live = Guid.NewGuid(), dead = Guid.NewGuid();
        using FlowWriter w = d.Domain.CreateFlowWriter(Defs.Video(live), null, out _);
        // A dead flow: copy of a live flow's files without any writer holding a lock.
        string deadDir = d.Domain.FlowDirectory(dead);
        using (FlowWriter tmp = d.Domain.CreateFlowWriter(Defs.Video(dead), null, out _))
        {
            CopyDirectory(tmp.FlowDirectory, deadDir + ".copy");
        }
        Directory.Move(deadDir + ".copy", deadDir);
        Assert.True(d.Domain.FlowExists(dead));
        Assert.False(d.Domain.IsFlowActive(dead));
        Assert.True(d.Domain.IsFlowActive(live));
        Assert.Equal(1, d.Domain.CollectGarbage());
        Assert.False(d.Domain.FlowExists(dead));
        Assert.True(d.Domain.FlowExists(live));
        Assert.Equal(0, d.Domain.CollectGarbage());
    }

    [Fact]
    public void GarbageCollectionAfterWriterProcessIsKilled()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        string defFile = Defs.WriteTemp(d, Defs.Video(id));
        using (Peer peer = new("hold", d.Path, defFile))
        {
            Assert.Equal("ready created", peer.WaitForLine("ready"));
            Assert.True(d.Domain.IsFlowActive(id));
            Assert.Equal(0, d.Domain.CollectGarbage());
            peer.Kill(); // kill -9: no cleanup runs
        }
        Assert.True(d.Domain.FlowExists(id));
        Assert.False(d.Domain.IsFlowActive(id));
        Assert.Equal(1, d.Domain.CollectGarbage());
        Assert.False(d.Domain.FlowExists(id));
        using FlowWriter w = d.Domain.CreateFlowWriter(Defs.Video(id), null, out bool created);
        Assert.True(created);
    }

    [Fact]
    public void GarbageCollectionRemovesStaleTemporaryDirectoriesOnly()
    {
        using TempDomain d = new();
        string stale = Path.Combine(d.Path, ".mxl-tmp-AAAAAAAAAAAAAAAA");
        string fresh = Path.Combine(d.Path, ".mxl-tmp-BBBBBBBBBBBBBBBB");
        Directory.CreateDirectory(stale);
        File.WriteAllBytes(Path.Combine(stale, "data"), new byte[2064]);
        Directory.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddMinutes(-5));
        Directory.CreateDirectory(fresh);
        Assert.Equal(0, d.Domain.CollectGarbage());
        Assert.False(Directory.Exists(stale));
        Assert.True(Directory.Exists(fresh)); // may be a creation in progress
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        foreach (string sub in Directory.GetDirectories(from)) CopyDirectory(sub, Path.Combine(to, Path.GetFileName(sub)));
    }
}
