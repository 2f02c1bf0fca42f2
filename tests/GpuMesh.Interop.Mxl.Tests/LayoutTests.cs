using System.Buffers.Binary;
using GpuMesh.Interop.Mxl;
using Xunit;

namespace GpuMesh.Interop.Mxl.Tests;

/// <summary>Writes flows and reads the raw bytes back at every offset of mxl-format.md.</summary>
public class LayoutTests
{
    private static uint U32(byte[] b, int o) => BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(o));
    private static ulong U64(byte[] b, int o) => BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(o));
    private static long I64(byte[] b, int o) => BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(o));
    private static ushort U16(byte[] b, int o) => BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(o));

    private static unsafe ulong InodeOf(string path)
    {
        Native.FileStat? st = Native.TryStat(path);
        return st!.Value.Inode;
    }

    [Fact]
    public void VideoFlowDataFileHasEveryFieldAtItsOffset()
    {
        using TempDomain d = new();
        Guid id = Guid.Parse("5fbec3b1-1b0f-417d-9059-8b94a47197ed");
        string json = Defs.Video(id, 1920, 1080, 30000, 1001);
        ulong before = MxlClock.NowTai();
        using FlowWriter w = d.Domain.CreateFlowWriter(json, null, out bool created);
        Assert.True(created);
        string dataPath = d.FlowFile(id, "data");
        byte[] b = File.ReadAllBytes(dataPath);
        Assert.Equal(2064, b.Length);
        Assert.Equal(1u, U32(b, 0));
        Assert.Equal(2048u, U32(b, 4));
        Assert.Equal(new byte[] { 0x5f, 0xbe, 0xc3, 0xb1, 0x1b, 0x0f, 0x41, 0x7d, 0x90, 0x59, 0x8b, 0x94, 0xa4, 0x71, 0x97, 0xed }, b[8..24]);
        Assert.Equal(1u, U32(b, 24)); // video
        Assert.Equal(0u, U32(b, 28));
        Assert.Equal(30000L, I64(b, 32));
        Assert.Equal(1001L, I64(b, 40));
        Assert.Equal(1080u, U32(b, 48)); // default commit batch = lines per grain
        Assert.Equal(1080u, U32(b, 52));
        Assert.Equal(0u, U32(b, 56)); // host memory
        Assert.Equal(-1, (int)U32(b, 60));
        Assert.All(b[64..136], x => Assert.Equal(0, x));
        Assert.Equal(5120u, U32(b, 136));
        Assert.Equal(0u, U32(b, 140));
        Assert.Equal(0u, U32(b, 144));
        Assert.Equal(0u, U32(b, 148));
        Assert.Equal(5u, U32(b, 152)); // 200 ms at 30000/1001
        Assert.All(b[156..200], x => Assert.Equal(0, x));
        Assert.Equal(0ul, U64(b, 200));
        Assert.InRange(U64(b, 208), before, MxlClock.NowTai());
        Assert.Equal(U64(b, 208), U64(b, 216)); // as MXL: lastReadTime = lastWriteTime = creation time
        Assert.All(b[224..2048], x => Assert.Equal(0, x));
        Assert.Equal(InodeOf(dataPath), U64(b, 2048));
        Assert.Equal(0u, U32(b, 2056));
        Assert.Equal(0u, U32(b, 2060));

        // After a commit: head index, last write time, sync counter.
        w.OpenGrain(12345).Payload.Fill(7);
        w.CommitAll();
        b = File.ReadAllBytes(dataPath);
        Assert.Equal(12345ul, U64(b, 200));
        Assert.InRange(U64(b, 208), before, MxlClock.NowTai());
        Assert.Equal(1u, U32(b, 2056));
    }

    [Fact]
    public void GrainFilesHaveHeaderFieldsAndPageAlignedPayload()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        using FlowWriter w = d.Domain.CreateFlowWriter(Defs.Video(id, 1280, 720), null, out _);
        Assert.Equal(10, w.GrainCount);
        string[] files = Directory.GetFiles(d.FlowFile(id, "grains")).Select(Path.GetFileName).Order().ToArray()!;
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"data.{i}").Order(), files);
        int line = 1280 / 48 * 128 + 128; // (1280 + 47) / 48 = 27 → 3456
        Assert.Equal(3456, line);
        byte[] g = File.ReadAllBytes(d.FlowFile(id, "grains", "data.3"));
        Assert.True(g.Length >= 8192 + 3456 * 720);
        Assert.Equal(1u, U32(g, 0));
        Assert.Equal(4096u, U32(g, 4));
        Assert.Equal(0u, U32(g, 16));
        Assert.Equal((uint)(3456 * 720), U32(g, 20));
        Assert.Equal(720, U16(g, 24));
        Assert.Equal(0, U16(g, 26));

        GrainWriteAccess a = w.OpenGrain(1003); // slot 3
        Assert.Equal(3, a.Slot);
        Assert.Equal(0, a.PayloadAddress % 4096);
        a.Payload[0] = 0xAB;
        a.Payload[^1] = 0xCD;
        a.UserArea[0] = 0x5A;
        w.Commit(100);
        g = File.ReadAllBytes(d.FlowFile(id, "grains", "data.3"));
        Assert.Equal(1003ul, U64(g, 8));
        Assert.Equal(0u, U32(g, 16));
        Assert.Equal(100, U16(g, 26));
        Assert.Equal(0x5A, g[4096]);
        Assert.Equal(0xAB, g[8192]);
        Assert.Equal(0xCD, g[8192 + 3456 * 720 - 1]);
        w.CommitInvalid();
        g = File.ReadAllBytes(d.FlowFile(id, "grains", "data.3"));
        Assert.Equal(1u, U32(g, 16));
        Assert.Equal(720, U16(g, 26));
    }

    [Fact]
    public void FlowDirectoryHoldsExactDefinitionAccessFileAndModes()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        string json = Defs.Data(id) + "\n  ";
        using FlowWriter w = d.Domain.CreateFlowWriter(json, null, out _);
        string dir = d.Domain.FlowDirectory(id);
        Assert.Equal(id.ToString("D") + ".mxl-flow", Path.GetFileName(dir));
        Assert.Equal(json, File.ReadAllText(Path.Combine(dir, "flow_def.json")));
        Assert.Equal(0, new FileInfo(Path.Combine(dir, "access")).Length);
        UnixFileMode dirMode = File.GetUnixFileMode(dir);
        Assert.True(dirMode.HasFlag(UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute));
        UnixFileMode dataMode = File.GetUnixFileMode(Path.Combine(dir, "data"));
        Assert.True(dataMode.HasFlag(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead));
        Assert.False(dataMode.HasFlag(UnixFileMode.UserExecute));
        Assert.Empty(Directory.GetDirectories(d.Path, ".mxl-tmp-*"));

        byte[] b = File.ReadAllBytes(Path.Combine(dir, "data"));
        Assert.Equal(3u, U32(b, 24)); // data
        Assert.Equal(1u, U32(b, 136)); // one byte per slice
        Assert.Equal(4096u, U32(b, 48));
        byte[] g = File.ReadAllBytes(Path.Combine(dir, "grains", "data.0"));
        Assert.Equal(4096u, U32(g, 20));
        Assert.Equal(4096, U16(g, 24));
    }

    [Fact]
    public void AudioFlowHeaderAndChannelsFile()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        using ContinuousFlowWriter w = d.Domain.CreateContinuousFlowWriter(Defs.Audio(id, channels: 3), null, out bool created);
        Assert.True(created);
        byte[] b = File.ReadAllBytes(d.FlowFile(id, "data"));
        Assert.Equal(2u, U32(b, 24));
        Assert.Equal(48000L, I64(b, 32));
        Assert.Equal(1L, I64(b, 40));
        Assert.Equal(480u, U32(b, 48)); // rate / 100
        Assert.Equal(480u, U32(b, 52));
        Assert.Equal(3u, U32(b, 136));
        Assert.Equal(19456u, U32(b, 140));
        Assert.Equal(0u, U32(b, 152));
        Assert.Equal(3L * 19456 * 4, new FileInfo(d.FlowFile(id, "channels")).Length);
        Assert.False(File.Exists(d.FlowFile(id, "access")));
        Assert.False(Directory.Exists(d.FlowFile(id, "grains")));
    }

    [Fact]
    public void InterlacedVideoStoresFieldRateAndHalfHeight()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        using FlowWriter w = d.Domain.CreateFlowWriter(Defs.Video(id, 1920, 1080, 25, 1, mode: InterlaceMode.InterlacedTff), null, out _);
        byte[] b = File.ReadAllBytes(d.FlowFile(id, "data"));
        Assert.Equal(50L, I64(b, 32));
        Assert.Equal(1L, I64(b, 40));
        Assert.Equal(10u, U32(b, 152));
        Assert.Equal(540, w.TotalSlices);
        Assert.Equal(5120 * 540, w.GrainPayloadSize);

        Guid id2 = Guid.NewGuid();
        using FlowWriter w2 = d.Domain.CreateFlowWriter(Defs.Video(id2, 1920, 1080, 30000, 1001, mode: InterlaceMode.InterlacedBff), null, out _);
        Assert.Equal(new Rational(60000, 1001), w2.GrainRate);
        Assert.Equal(11, w2.GrainCount);
    }

    [Theory]
    [InlineData(1920, 5120, 2560)]
    [InlineData(1280, 3456, 1708)]
    [InlineData(720, 1920, 960)]
    [InlineData(3840, 10240, 5120)]
    [InlineData(2, 128, 4)]
    public void V210AndKeyLineSizes(int width, int line, int keyLine)
    {
        Assert.Equal(line, FlowDefinition.V210LineBytes(width));
        Assert.Equal(keyLine, FlowDefinition.KeyLineBytes(width));
        FlowDefinition v = FlowDefinition.Parse(Defs.Video(Guid.NewGuid(), width, 10));
        Assert.Equal(new uint[] { (uint)line, 0, 0, 0 }, v.SliceSizes);
        Assert.Equal(line * 10, v.GrainPayloadSize);
        FlowDefinition va = FlowDefinition.Parse(Defs.Video(Guid.NewGuid(), width, 10, key: true));
        Assert.Equal(new uint[] { (uint)line, (uint)keyLine, 0, 0 }, va.SliceSizes);
        Assert.Equal((line + keyLine) * 10, va.GrainPayloadSize);
    }

    [Fact]
    public void V210aFlowStoresBothPlaneSliceSizes()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        using FlowWriter w = d.Domain.CreateFlowWriter(Defs.Video(id, 1920, 1080, key: true), null, out _);
        byte[] b = File.ReadAllBytes(d.FlowFile(id, "data"));
        Assert.Equal(5120u, U32(b, 136));
        Assert.Equal(2560u, U32(b, 140));
        byte[] g = File.ReadAllBytes(d.FlowFile(id, "grains", "data.0"));
        Assert.Equal((uint)((5120 + 2560) * 1080), U32(g, 20));
        Assert.Equal(1080, U16(g, 24));
        Assert.Equal("video/v210a", w.Info.MediaType);
    }

    [Theory]
    [InlineData(50, 1, 10)]
    [InlineData(30000, 1001, 5)]
    [InlineData(60000, 1001, 11)]
    [InlineData(25, 1, 5)]
    [InlineData(24000, 1001, 4)]
    public void GrainCountsAtDefaultHistory(long num, long den, ulong expected)
    {
        Assert.Equal(expected, FlowLayout.GrainCount(200_000_000, new Rational(num, den)));
    }

    [Theory]
    [InlineData(48000, 4, 19456)]
    [InlineData(48000, 8, 19456)]
    [InlineData(44100, 4, 18432)]
    [InlineData(96000, 4, 38912)]
    public void AudioBufferLengths(long rate, int wordSize, ulong expected)
    {
        Assert.Equal(expected, FlowLayout.BufferLength(200_000_000, new Rational(rate, 1), wordSize));
    }

    [Fact]
    public void HistoryFromOptionsJsonSetsGrainCount()
    {
        using TempDomain d = new(historyNs: 100_000_000);
        Assert.Equal(100_000_000ul, d.Domain.HistoryDurationNs);
        using FlowWriter w = d.Domain.CreateFlowWriter(Defs.Video(Guid.NewGuid()), null, out _);
        Assert.Equal(5, w.GrainCount);
    }

    [Fact]
    public void WriterOptionsAreStoredAndValidated()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        using FlowWriter w = d.Domain.CreateFlowWriter(Defs.Video(id), "{\"maxCommitBatchSizeHint\": 2, \"maxSyncBatchSizeHint\": 4}", out _);
        byte[] b = File.ReadAllBytes(d.FlowFile(id, "data"));
        Assert.Equal(2u, U32(b, 48));
        Assert.Equal(4u, U32(b, 52));
        var e = Assert.Throws<MxlFlowDefinitionException>(() => d.Domain.CreateFlowWriter(Defs.Video(Guid.NewGuid()), "{\"maxCommitBatchSizeHint\": 3, \"maxSyncBatchSizeHint\": 4}", out _));
        Assert.Equal("maxSyncBatchSizeHint", e.Field);
        e = Assert.Throws<MxlFlowDefinitionException>(() => d.Domain.CreateFlowWriter(Defs.Video(Guid.NewGuid()), "{\"maxCommitBatchSizeHint\": 0}", out _));
        Assert.Equal("maxCommitBatchSizeHint", e.Field);
    }
}
