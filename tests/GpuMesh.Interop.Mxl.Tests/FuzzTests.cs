using GpuMesh.Interop.Mxl;
using Xunit;

namespace GpuMesh.Interop.Mxl.Tests;

/// <summary>Randomly mutates headers of real flows: every read succeeds within bounds or fails with an MxlException.</summary>
public class FuzzTests
{
    private static readonly int[] DataFields = [0, 4, 8, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60, 136, 140, 144, 148, 152, 200, 204, 208, 216, 2048, 2056];
    private static readonly int[] GrainFields = [0, 4, 8, 12, 16, 20, 22, 24, 25, 26, 27];

    private static byte[] RandomValue(Random rng)
    {
        int kind = rng.Next(6);
        ulong v = kind switch
        {
            0 => 0,
            1 => ulong.MaxValue,
            2 => (ulong)rng.Next(0, 64),
            3 => (ulong)rng.NextInt64(),
            4 => 0x8000_0000UL,
            _ => (ulong)rng.Next(0, 70000),
        };
        int width = rng.Next(3) switch { 0 => 1, 1 => 2, _ => rng.Next(2) == 0 ? 4 : 8 };
        return BitConverter.GetBytes(v)[..width];
    }

    private static void Restore(string file, long length)
    {
        using FileStream fs = new(file, FileMode.Open, FileAccess.Write);
        if (fs.Length != length) fs.SetLength(length);
    }

    private static void Write(string file, int offset, byte[] bytes)
    {
        using FileStream fs = new(file, FileMode.Open, FileAccess.Write);
        fs.Seek(offset, SeekOrigin.Begin);
        fs.Write(bytes);
    }

    private static unsafe void CheckView(FlowReader r, GrainView g)
    {
        SlotMapping m = r.GetSlotMapping(g.Slot);
        Assert.True(g.PayloadAddress >= m.BaseAddress + 8192);
        Assert.True(g.Size >= 0 && g.PayloadAddress + g.Size <= m.BaseAddress + m.FileLength,
            $"view of {g.Size} bytes at +{g.PayloadAddress - m.BaseAddress} leaves the {m.FileLength}-byte file");
        Assert.True(g.ValidSlices <= g.TotalSlices);
        if (g.Size > 0)
        {
            byte sum = (byte)(g.Payload[0] + g.Payload[^1]); // touch both ends
            Assert.True(sum >= 0);
        }
    }

    [Fact]
    public void MutatedDiscreteFlowHeadersNeverReadOutOfBounds()
    {
        using TempDomain d = new();
        Guid id = Guid.NewGuid();
        using FlowWriter w = d.Domain.CreateFlowWriter(Defs.Video(id, 96, 8, key: true), null, out _);
        for (ulong i = 1; i <= 12; i++)
        {
            w.OpenGrain(i).Payload.Fill((byte)i);
            if (i % 3 == 0) w.Commit(4); else w.CommitAll();
            if (w.HasOpenGrain) w.Cancel();
        }
        string dataFile = d.FlowFile(id, "data");
        byte[] data = File.ReadAllBytes(dataFile);
        string[] grainFiles = Enumerable.Range(0, w.GrainCount).Select(s => d.FlowFile(id, "grains", $"data.{s}")).ToArray();
        byte[][] grainHeads = grainFiles.Select(f => File.ReadAllBytes(f)[..64]).ToArray();
        long grainLength = new FileInfo(grainFiles[0]).Length;
        Random rng = new(1234);
        int ok = 0, rejected = 0, opened = 0;
        for (int iter = 0; iter < 1500; iter++)
        {
            Restore(dataFile, data.Length);
            Write(dataFile, 0, data);
            for (int s = 0; s < grainFiles.Length; s++)
            {
                Restore(grainFiles[s], grainLength);
                Write(grainFiles[s], 0, grainHeads[s]);
            }
            if (rng.Next(10) == 0)
            {
                // Truncated files (before the reader opens them).
                string victim = rng.Next(3) == 0 ? dataFile : grainFiles[rng.Next(grainFiles.Length)];
                using FileStream fs = new(victim, FileMode.Open, FileAccess.Write);
                fs.SetLength(rng.Next(0, (int)fs.Length));
            }
            int mutations = rng.Next(1, 4);
            for (int m = 0; m < mutations; m++)
            {
                if (rng.Next(2) == 0)
                {
                    int off = rng.Next(4) == 0 ? rng.Next(0, 2060) : DataFields[rng.Next(DataFields.Length)];
                    Write(dataFile, off, RandomValue(rng));
                }
                else
                {
                    int off = rng.Next(4) == 0 ? rng.Next(0, 60) : GrainFields[rng.Next(GrainFields.Length)];
                    Write(grainFiles[rng.Next(grainFiles.Length)], off, RandomValue(rng));
                }
            }
            FlowReader r;
            try
            {
                r = d.Domain.OpenFlowReader(id);
            }
            catch (MxlException)
            {
                rejected++;
                continue;
            }
            opened++;
            using (r)
            {
                for (int k = 0; k < 8; k++)
                {
                    ulong index = k < 6 ? (ulong)rng.Next(0, 16) : (ulong)rng.NextInt64();
                    try
                    {
                        MxlStatus s = k % 2 == 0
                            ? r.TryGetGrain(index, out GrainView g, (ushort)rng.Next(0, 10))
                            : r.GetGrain(index, TimeSpan.Zero, out g);
                        Assert.True(Enum.IsDefined(s));
                        if (s == MxlStatus.Ok)
                        {
                            CheckView(r, g);
                            ok++;
                        }
                    }
                    catch (MxlException)
                    {
                        rejected++;
                    }
                }
                try { _ = r.GetInfo(); } catch (MxlException) { rejected++; }
            }
        }
        Assert.True(opened > 100 && rejected > 100 && ok > 100, $"opened {opened}, rejected {rejected}, ok {ok}");
    }

    [Fact]
    public void MutatedContinuousFlowHeadersNeverReadOutOfBounds()
    {
        using TempDomain d = new(historyNs: 50_000_000);
        Guid id = Guid.NewGuid();
        using ContinuousFlowWriter w = d.Domain.CreateContinuousFlowWriter(Defs.Audio(id, channels: 2), null, out _);
        ulong head = 100_000;
        w.OpenSamples(head, 480);
        w.Commit();
        string dataFile = d.FlowFile(id, "data");
        byte[] data = File.ReadAllBytes(dataFile);
        long channelsLength = new FileInfo(d.FlowFile(id, "channels")).Length;
        Random rng = new(99);
        int ok = 0, rejected = 0;
        for (int iter = 0; iter < 1000; iter++)
        {
            Write(dataFile, 0, data);
            int off = rng.Next(3) == 0 ? rng.Next(0, 2060) : DataFields[rng.Next(DataFields.Length)];
            Write(dataFile, off, RandomValue(rng));
            ContinuousFlowReader r;
            try
            {
                r = d.Domain.OpenContinuousFlowReader(id);
            }
            catch (MxlException)
            {
                rejected++;
                continue;
            }
            using (r)
            {
                SlotMapping m = r.GetChannelsMapping();
                for (int k = 0; k < 4; k++)
                {
                    ulong index = head - (ulong)rng.Next(0, 2000);
                    int count = rng.Next(1, 600);
                    try
                    {
                        if (r.TryGetSamples(index, count, out SampleView v) != MxlStatus.Ok) continue;
                        for (int c = 0; c < v.ChannelCount; c++)
                        {
                            for (int f = 0; f < 2; f++)
                            {
                                ReadOnlySpan<byte> frag = v.GetFragment(c, f);
                                unsafe
                                {
                                    fixed (byte* p = frag)
                                    {
                                        Assert.True(frag.Length == 0 || ((nint)p >= m.BaseAddress && (nint)p + frag.Length <= m.BaseAddress + channelsLength));
                                    }
                                }
                            }
                        }
                        ok++;
                    }
                    catch (ArgumentOutOfRangeException)
                    {
                        rejected++; // count above half the (mutated) buffer
                    }
                    catch (MxlException)
                    {
                        rejected++;
                    }
                }
            }
        }
        Assert.True(ok > 50 && rejected > 50, $"ok {ok}, rejected {rejected}");
    }
}
