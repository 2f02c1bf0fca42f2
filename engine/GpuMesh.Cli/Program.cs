using System.CommandLine;
using GpuMesh.Cli.Commands;

namespace GpuMesh.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("gpumesh: timing-aligned processing of MXL media flows in shared memory (GPU via ILGPU, SIMD CPU otherwise).")
        {
            DemoCommand.Create(),
            RunCommand.Create(),
            InfoCommands.Info(),
            InfoCommands.Gc(),
            TestsrcCommand.Create(),
            SnapshotCommand.Create(),
            VerifyCommand.Create(),
        };
        try
        {
            return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Console.Error.WriteLine($"gpumesh: {e.Message}");
            return 1;
        }
    }
}
