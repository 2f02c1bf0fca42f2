using GpuMesh.Interop.Mxl;
using Xunit;

namespace GpuMesh.Interop.Mxl.Tests;

/// <summary>Hostile or corrupt shared memory gives clear errors, never a crash or an out-of-bounds read.</summary>
public class CorruptionTests
{
    private static void Poke(string file, int offset, ReadOnlySpan<byte> bytes)
    {
        using FileStream fs = new(file, FileMode.Open, FileAccess.Write);
        fs.Seek(offset, SeekOrigin.Begin);
        fs.Write(bytes);
    }

    private static void PokeU32(string file, int offset, uint value) => Poke(file, offset, BitConverter.GetBytes(value));

    private static void PokeU16(string file, int offset, ushort value) => Poke(file, offset, BitConverter.GetBytes(value));

    private static void Truncate(string file, long length)
    {
        using FileStream fs = new(file, FileMode.Open, FileAccess.Write);
        fs.SetLength(length);
    }

    private static (TempDomain, Guid, FlowWriter) NewFlow()
    {
        TempDomain d = new();
        Guid id = Guid.NewGuid();
        FlowWriter w = d.Domain.CreateFlowWriter(Defs.Video(id, 96, 8), null, out _);
        for (ulong i = 1; i <= 3; i++)
        {
            w.OpenGrain(i).Payload.Fill((byte)i);
            w.CommitAll();
        }
        return (d, id, w);
    }

    private static MxlFlowCorruptException ExpectCorrupt(TempDomain d, Guid id, string field)
    {
        var e = Assert.Throws<MxlFlowCorruptException>(() => d.Domain.OpenFlowReader(id).Dispose());
        Assert.Equal(field, e.Field);
        Assert.Contains(id.ToString(), e.Message);
        Assert.Contains(field, e.Message);
        return e;
    }

    [Fact]
    public void TruncatedDataFile()
    {
        var (d, id, w) = NewFlow();
        using (d) using (w)
        {
            Truncate(d.FlowFile(id, "data"), 2000);
            ExpectCorrupt(d, id, "data");
        }
    }

    [Fact]
    public void WrongVersionAndSize()
    {
        var (d, id, w) = NewFlow();
        using (d) using (w)
        {
            PokeU32(d.FlowFile(id, "data"), 0, 2);
            ExpectCorrupt(d, id, "data.version");
            PokeU32(d.FlowFile(id, "data"), 0, 1);
            PokeU32(d.FlowFile(id, "data"), 4, 4096);
            ExpectCorrupt(d, id, "data.size");
        }
    }

    [Fact]
    public void GrainCountThatDoesNotMatchTheFiles()
    {
        var (d, id, w) = NewFlow();
        using (d) using (w)
        {
            PokeU32(d.FlowFile(id, "data"), 152, 11); // only 10 grain files exist
            var e = ExpectCorrupt(d, id, "data.grainCount");
            Assert.Contains("data.10", e.Message);
            PokeU32(d.FlowFile(id, "data"), 152, 0);
            ExpectCorrupt(d, id, "data.grainCount");
            PokeU32(d.FlowFile(id, "data"), 152, uint.MaxValue);
            ExpectCorrupt(d, id, "data.grainCount");
        }
    }

    [Fact]
    public void SliceSizeThatDoesNotMatchTheDefinition()
    {
        var (d, id, w) = NewFlow();
        using (d) using (w)
        {
            PokeU32(d.FlowFile(id, "data"), 136, 1_000_000);
            ExpectCorrupt(d, id, "data.sliceSizes[0]");
        }
    }

    [Fact]
    public void GrainFileShorterThanItsSlices()
    {
        var (d, id, w) = NewFlow();
        using (d) using (w)
        {
            Truncate(d.FlowFile(id, "grains", "data.4"), 8192 + 100);
            ExpectCorrupt(d, id, "grains/data.4.grainSize");
            Truncate(d.FlowFile(id, "grains", "data.4"), 4000);
            ExpectCorrupt(d, id, "grain 4");
        }
    }

    [Fact]
    public void GrainHeaderVersionAndSizeAreChecked()
    {
        var (d, id, w) = NewFlow();
        using (d) using (w)
        {
            PokeU32(d.FlowFile(id, "grains", "data.2"), 0, 7);
            ExpectCorrupt(d, id, "grains/data.2.version");
            PokeU32(d.FlowFile(id, "grains", "data.2"), 0, 1);
            PokeU32(d.FlowFile(id, "grains", "data.2"), 4, 12);
            ExpectCorrupt(d, id, "grains/data.2.size");
        }
    }

    [Fact]
    public void GrainSizeOrValidSlicesBeyondTheFileFailOnRead()
    {
        var (d, id, w) = NewFlow();
        using (d) using (w)
        {
            using FlowReader r = d.Domain.OpenFlowReader(id);
            Assert.Equal(MxlStatus.Ok, r.TryGetGrain(2, out _));
            string g2 = d.FlowFile(id, "grains", "data.2");
            PokeU32(g2, 20, 1_000_000); // grainSize beyond the file
            var e = Assert.Throws<MxlFlowCorruptException>(() => r.TryGetGrain(2, out _));
            Assert.Equal("grains/data.2.grainSize", e.Field);
            PokeU32(g2, 20, 256 * 8);
            PokeU16(g2, 26, 9); // validSlices > totalSlices: MXL does not check it; read as complete
            Assert.Equal(MxlStatus.Ok, r.TryGetGrain(2, out GrainView clamped));
            Assert.Equal(8, clamped.ValidSlices);
            Assert.True(clamped.IsComplete);
            PokeU16(g2, 26, 8);
            PokeU16(g2, 24, 60000); // totalSlices beyond the file
            e = Assert.Throws<MxlFlowCorruptException>(() => r.TryGetGrain(2, out _));
            Assert.Equal("grains/data.2.totalSlices", e.Field);
            Assert.Equal(MxlStatus.Ok, r.TryGetGrain(3, out _)); // other slots unaffected
        }
    }

    [Fact]
    public void MismatchedIdFormatRateAndDefinition()
    {
        var (d, id, w) = NewFlow();
        using (d) using (w)
        {
            string data = d.FlowFile(id, "data");
            byte[] orig = File.ReadAllBytes(data);
            Poke(data, 8, new byte[16]);
            ExpectCorrupt(d, id, "data.id");
            File.WriteAllBytes(data, orig);
            PokeU32(data, 24, 2);
            ExpectCorrupt(d, id, "data.format");
            File.WriteAllBytes(data, orig);
            Poke(data, 40, BitConverter.GetBytes(0L));
            ExpectCorrupt(d, id, "data.grainRate");
            File.WriteAllBytes(data, orig);
            PokeU32(data, 56, 5);
            ExpectCorrupt(d, id, "data.payloadLocation");
            File.WriteAllBytes(data, orig);
            File.WriteAllText(d.FlowFile(id, "flow_def.json"), "{\"id\": 1}");
            ExpectCorrupt(d, id, "flow_def.json");
        }
    }

    [Fact]
    public void DeviceMemoryFlowGivesAClearErrorToAHostReader()
    {
        var (d, id, w) = NewFlow();
        using (d) using (w)
        {
            PokeU32(d.FlowFile(id, "data"), 56, 1);
            PokeU32(d.FlowFile(id, "data"), 60, 0);
            var e = Assert.Throws<MxlException>(() => d.Domain.OpenFlowReader(id));
            Assert.Contains("device memory", e.Message);
            Assert.Equal(1u, d.Domain.GetFlowInfo(id).PayloadLocation);
        }
    }

    [Fact]
    public void ChannelsFileShorterThanItsRings()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        using ContinuousFlowWriter w = d.Domain.CreateContinuousFlowWriter(Defs.Audio(id, channels: 2), null, out _);
        Truncate(d.FlowFile(id, "channels"), 2 * 19456 * 4 - 4);
        var e = Assert.Throws<MxlFlowCorruptException>(() => d.Domain.OpenContinuousFlowReader(id));
        Assert.Equal("channels", e.Field);
        Assert.Contains("channelCount 2", e.Message);
    }

    [Fact]
    public void ContinuousCountsThatOverflowOrMismatchAreRejected()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        using ContinuousFlowWriter w = d.Domain.CreateContinuousFlowWriter(Defs.Audio(id, channels: 2), null, out _);
        string data = d.FlowFile(id, "data");
        PokeU32(data, 140, uint.MaxValue); // bufferLength: channelCount × bufferLength × wordSize would be huge
        Assert.Equal("data.bufferLength", Assert.Throws<MxlFlowCorruptException>(() => d.Domain.OpenContinuousFlowReader(id)).Field);
        PokeU32(data, 140, 1 << 28); // above the cap that keeps sample spans inside int lengths
        Assert.Equal("data.bufferLength", Assert.Throws<MxlFlowCorruptException>(() => d.Domain.OpenContinuousFlowReader(id)).Field);
        PokeU32(data, 140, 1 << 26); // in range, but far beyond the file
        Assert.Equal("channels", Assert.Throws<MxlFlowCorruptException>(() => d.Domain.OpenContinuousFlowReader(id)).Field);
        PokeU32(data, 140, 19456);
        PokeU32(data, 136, 0x4000_0000);
        Assert.Equal("data.channelCount", Assert.Throws<MxlFlowCorruptException>(() => d.Domain.OpenContinuousFlowReader(id)).Field);
    }
}
