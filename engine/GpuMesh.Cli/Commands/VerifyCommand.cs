using System.CommandLine;
using GpuMesh.Engine.Services;
using GpuMesh.Interop.Mxl;

namespace GpuMesh.Cli.Commands;

internal static class VerifyCommand
{
    public static Command Create()
    {
        var domain = CliParse.DomainOption();
        var flow = CliParse.FlowOption("--flow", "UUID of a v210 flow carrying the test pattern's index strip", required: true);
        var duration = CliParse.DurationOption("10s", "how long to follow the flow; 0 = until Ctrl+C");
        var cmd = new Command("verify", "A CPU reader service: follow a flow live and check each grain carries the index strip of its own index " +
                                        "(exit code 3 on a mismatch).") { domain, flow, duration };
        cmd.SetAction(parse =>
        {
            using var d = MxlDomain.Open(parse.GetValue(domain)!, create: false);
            using var v = new StripVerifier(d, parse.GetValue(flow));
            using var cts = TestsrcCommand.CancelOnSignals();
            if (parse.Get(duration) is { } dur && dur > TimeSpan.Zero) cts.CancelAfter(dur);
            v.Run(cts.Token);
            Console.WriteLine(v.Summary());
            return v.Mismatched > 0 ? 3 : 0;
        });
        return cmd;
    }
}
