using Xunit;

namespace GpuMesh.Engine.Tests;

public class CliTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("demo", "--keep-domain")]
    [InlineData("run", "GRAPH.json")]
    [InlineData("info", "--json")]
    [InlineData("gc", "--domain")]
    [InlineData("testsrc", "--flow-id")]
    [InlineData("snapshot", "out.png")]
    [InlineData("verify", "--flow")]
    public void EveryCommand_HasCompleteHelp(string command, string mentions)
    {
        var (code, output) = GpuMeshProcess.Run(Timeout, command, "--help");
        Assert.Equal(0, code);
        Assert.Contains(mentions, output);
        Assert.Contains("Usage:", output);
    }

    [Fact]
    public void BadArguments_GiveClearErrors()
    {
        var (code, output) = GpuMeshProcess.Run(Timeout, "testsrc", "--flow-id", "not-a-uuid", "--size", "12", "--rate", "0/1");
        Assert.NotEqual(0, code);
        Assert.Contains("--flow-id: 'not-a-uuid' is not a UUID", output);
        Assert.Contains("--size", output);
        Assert.Contains("--rate", output);
    }

    [Fact]
    public void Info_OnAMissingDomain_SaysSo()
    {
        var (code, output) = GpuMeshProcess.Run(Timeout, "info", "--domain", "/dev/shm/gpumesh-does-not-exist");
        Assert.Equal(2, code);
        Assert.Contains("does not exist", output);
    }

    [Fact]
    public void Info_OnAnEmptyDomain_ReportsTmpfsAndTheClock()
    {
        using var tmp = new TempDomain();
        var (code, output) = GpuMeshProcess.Run(Timeout, "info", "--domain", tmp.Path);
        Assert.Equal(0, code);
        Assert.Contains("0 flow(s)", output);
        Assert.Contains("clock:", output);
        Assert.Contains("CLOCK_TAI", output);
    }

    [Fact]
    public void Run_WithABadGraph_NamesNodeAndField()
    {
        using var tmp = new TempDomain();
        string path = Path.Combine(tmp.Path, "bad.json");
        File.WriteAllText(path, """{ "nodes": [ { "id": "cam", "type": "decode", "flow": "xyz" } ] }""");
        var (code, output) = GpuMeshProcess.Run(Timeout, "run", path, "--domain", tmp.Path);
        Assert.Equal(1, code);
        Assert.Contains("graph node 'cam', field 'flow'", output);
    }

    [Fact]
    public void Snapshot_OfAMissingFlow_NamesTheFlow()
    {
        using var tmp = new TempDomain();
        Guid id = Guid.NewGuid();
        var (code, output) = GpuMeshProcess.Run(Timeout, "snapshot", "--domain", tmp.Path, "--flow", id.ToString(), Path.Combine(tmp.Path, "x.png"));
        Assert.Equal(1, code);
        Assert.Contains(id.ToString(), output);
    }
}
