using GpuMesh.Engine.Services;
using GpuMesh.Engine.Sources;
using GpuMesh.Engine.Timing;
using Xunit;

namespace GpuMesh.Engine.Tests;

[Collection("realtime")]
public class StripVerifierTests
{
    [Fact]
    public void BeforeTheFirstCommit_NothingCountsAsMissed_ThenCommittedGrainsAreVerified()
    {
        using var tmp = new TempDomain();
        Guid id = Guid.NewGuid();
        var rate = new MediaRate(50, 1);
        using var source = new TestSource(tmp.Domain, id, 96, 8, rate, withKey: false, 'A');
        using var verifier = new StripVerifier(tmp.Domain, id);
        using var stop = new CancellationTokenSource();
        var reader = new Thread(() => verifier.Run(stop.Token));
        reader.Start();
        try
        {
            // The flow exists but its writer has not committed anything yet: 15 grain periods of waiting.
            Thread.Sleep(300);
            Assert.Equal(0, verifier.Missed);
            Assert.Equal(0, verifier.Verified);

            using var run = new CancellationTokenSource(TimeSpan.FromMilliseconds(400));
            source.Run(run.Token);
            Thread.Sleep(80);
        }
        finally
        {
            stop.Cancel();
            reader.Join();
        }
        Assert.True(verifier.Verified >= 10, verifier.Summary());
        Assert.Equal(0, verifier.Mismatched);
    }
}
