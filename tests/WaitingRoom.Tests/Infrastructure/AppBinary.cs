using System.Diagnostics;
using Xunit;

namespace WaitingRoom.Tests.Infrastructure;

/// <summary>The built WaitingRoom.dll, run as its own process the way an operator runs it (<c>dotnet WaitingRoom.dll</c>).</summary>
internal static class AppBinary
{
    /// <summary>
    /// How to start the app from a fresh temporary working directory (returned, for the caller to
    /// delete), with only <paramref name="variables"/> set: nothing inherited (WR_*, ASPNETCORE_*)
    /// may change the app's configuration.
    /// </summary>
    public static (ProcessStartInfo Info, string WorkingDirectory) StartInfo(IDictionary<string, string> variables, params string[] arguments)
    {
        var workingDirectory = Path.Combine(Path.GetTempPath(), "wr-app-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(workingDirectory);
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
        };
        info.ArgumentList.Add(DllPath());
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var name in info.Environment.Keys.ToList())
        {
            if (name.StartsWith("WR_", StringComparison.Ordinal) || name.StartsWith("ASPNETCORE_", StringComparison.Ordinal) ||
                name is "DOTNET_ENVIRONMENT" or "DOTNET_URLS" or "Serilog__MinimumLevel")
            {
                info.Environment.Remove(name);
            }
        }

        foreach (var (name, value) in variables)
        {
            info.Environment[name] = value;
        }

        return (info, workingDirectory);
    }

    /// <summary>The app's entry assembly: beside the tests when it can run from there, else the app's own build folder.</summary>
    public static string DllPath()
    {
        var here = AppContext.BaseDirectory;
        if (File.Exists(Path.Combine(here, "WaitingRoom.dll")) && File.Exists(Path.Combine(here, "WaitingRoom.runtimeconfig.json")))
        {
            return Path.Combine(here, "WaitingRoom.dll");
        }

        var root = new DirectoryInfo(here);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "WaitingRoom.sln")))
        {
            root = root.Parent;
        }

        Assert.NotNull(root);

        // The tests run from tests/WaitingRoom.Tests/bin/<Configuration>/<framework>/.
        var framework = new DirectoryInfo(here.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = framework.Parent!.Name;
        var path = Path.Combine(root.FullName, "src", "WaitingRoom", "bin", configuration, framework.Name, "WaitingRoom.dll");
        Assert.True(File.Exists(path), $"WaitingRoom.dll not found at {path}");
        return path;
    }
}
