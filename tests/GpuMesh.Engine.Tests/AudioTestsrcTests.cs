using GpuMesh.Interop.Mxl;
using Xunit;

namespace GpuMesh.Engine.Tests;

public class AudioTestsrcTests
{
    [Fact]
    public void Testsrc_WithAudio_WritesASampleAccurateTonePerChannel_AndInfoShowsTheFlow()
    {
        string domainPath = $"/dev/shm/gpumesh-audio-test-{Environment.ProcessId}-{Guid.NewGuid():N}";
        Guid videoId = Guid.NewGuid(), audioId = Guid.NewGuid();
        try
        {
            using var src = new GpuMeshProcess("testsrc", "--domain", domainPath, "--flow-id", videoId.ToString(), "--size", "96x8",
                "--audio", "2", "--audio-flow-id", audioId.ToString(), "--duration", "20s");
            using MxlDomain domain = MxlDomain.Open(domainPath);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (!domain.FlowExists(audioId) && DateTime.UtcNow < deadline && !src.HasExited) Thread.Sleep(50);
            Assert.True(domain.FlowExists(audioId), "the audio flow never appeared; testsrc said:\n" + src.Output);

            using ContinuousFlowReader reader = domain.OpenContinuousFlowReader(audioId);
            Assert.Equal(2, reader.ChannelCount);
            Assert.Equal(new Rational(48000, 1), reader.SampleRate);
            const int count = 480;
            ulong index = MxlClock.CurrentIndex(reader.SampleRate) + 2400;   // 50 ms ahead: a blocking read woken by commits
            MxlStatus status = reader.GetSamples(index, count, TimeSpan.FromSeconds(5), out SampleView view);
            Assert.Equal(MxlStatus.Ok, status);
            var got = new float[count];
            var expected = new float[count];
            for (int ch = 0; ch < 2; ch++)
            {
                view.CopyTo<float>(ch, got);
                AudioTone.Sine(expected, index - count + 1, 440L * (ch + 1), reader.SampleRate);
                Assert.Equal(expected, got);
            }

            var (code, output) = GpuMeshProcess.Run(TimeSpan.FromSeconds(30), "info", "--domain", domainPath, "--json");
            Assert.Equal(0, code);
            Assert.Contains(audioId.ToString(), output);
            Assert.Contains("\"channelCount\"", output);
            Assert.Contains("\"bufferLength\"", output);
            src.KillHard();
        }
        finally
        {
            try { Directory.Delete(domainPath, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
