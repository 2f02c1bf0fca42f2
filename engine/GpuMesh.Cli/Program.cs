namespace GpuMesh.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.WriteLine("gpumesh: commands are being built");
        return 0;
    }
}
