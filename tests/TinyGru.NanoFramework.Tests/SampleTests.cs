using System.Xml.Linq;
using Xunit;
using Xunit.Abstractions;

namespace TinyGru.NanoFramework.Tests;

/// <summary>The firmware sample (firmware-samples/nanoframework/VibrationClassifier) passes checks 1–2.</summary>
public class SampleTests(ITestOutputHelper output)
{
    internal static string SampleDir
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir != null && !File.Exists(Path.Combine(dir.FullName, "TinyGru.sln"))) dir = dir.Parent;
            if (dir == null) throw new DirectoryNotFoundException("repository root (TinyGru.sln) not found above " + AppContext.BaseDirectory);
            return Path.Combine(dir.FullName, "firmware-samples", "nanoframework", "VibrationClassifier");
        }
    }

    private static string Read(string file) => File.ReadAllText(Path.Combine(SampleDir, file));

    [Fact]
    public void Program_and_model_pass_checks_1_and_2()
    {
        var report = NanoFrameworkChecks.Check([Read("Program.cs"), Read("VibrationModel.cs")], "VibrationClassifier", NanoCheckProfile.Application);
        output.WriteLine(report.ToString());
        Assert.True(report.Passed, report.ToString());
    }

    [Fact]
    public void Model_file_alone_passes_with_the_model_allowlist()
    {
        var report = NanoFrameworkChecks.Check(Read("VibrationModel.cs"), "VibrationModel");
        output.WriteLine(report.ToString());
        Assert.True(report.Passed, report.ToString());
    }

    [Fact]
    public void Program_uses_the_generated_model_api()
    {
        string program = Read("Program.cs");
        Assert.Contains("new VibrationModel()", program, StringComparison.Ordinal);
        Assert.Contains(".Step(frame, scores)", program, StringComparison.Ordinal);
        Assert.Contains(".StepAndClassify(frame, scores)", program, StringComparison.Ordinal);
        Assert.Contains("VibrationModel.ModelSha256", program, StringComparison.Ordinal);
        Assert.Contains(".Reset()", program, StringComparison.Ordinal);
    }

    [Fact]
    public void Nfproj_compiles_exactly_the_checked_files_and_references_the_listed_packages()
    {
        var proj = XDocument.Load(Path.Combine(SampleDir, "VibrationClassifier.nfproj"));
        XNamespace ns = "http://schemas.microsoft.com/developer/msbuild/2003";
        Assert.Contains("{11A8DD76-328B-46DF-9F39-F559912D0360}", proj.Descendants(ns + "ProjectTypeGuids").Single().Value, StringComparison.Ordinal);
        var compiled = proj.Descendants(ns + "Compile").Select(e => (string)e.Attribute("Include")!).Order().ToArray();
        Assert.Equal(["Program.cs", "VibrationModel.cs"], compiled);

        var packages = XDocument.Load(Path.Combine(SampleDir, "packages.config")).Descendants("package")
            .ToDictionary(p => (string)p.Attribute("id")!, p => (string)p.Attribute("version")!);
        foreach (var hint in proj.Descendants(ns + "HintPath").Select(h => h.Value))
        {
            // packages\<id>.<version>\lib\...
            string folder = hint.Split('\\')[1];
            Assert.Contains(packages, p => folder == p.Key + "." + p.Value);
        }
        Assert.Equal(packages.Count, proj.Descendants(ns + "HintPath").Count());
    }

    [Fact]
    public void Sample_pins_the_corelibrary_the_checks_compile_against()
    {
        var packages = XDocument.Load(Path.Combine(SampleDir, "packages.config")).Descendants("package")
            .ToDictionary(p => (string)p.Attribute("id")!, p => (string)p.Attribute("version")!);
        using var pe = new System.Reflection.PortableExecutable.PEReader(NanoFrameworkChecks.ReferenceImages[0].Image);
        var version = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe).GetAssemblyDefinition().Version;
        Assert.Equal($"{version.Major}.{version.Minor}.{version.Build}", packages["nanoFramework.CoreLibrary"]);
        // The README names the same version and the firmware's native mscorlib it needs.
        string readme = Read("README.md");
        Assert.Contains("| nanoFramework.CoreLibrary | " + packages["nanoFramework.CoreLibrary"] + " |", readme, StringComparison.Ordinal);
        Assert.Contains("100.5.0.24", readme, StringComparison.Ordinal);
        Assert.Contains("--fwversion", readme, StringComparison.Ordinal);
    }

    [Fact]
    public void Model_files_and_data_are_committed()
    {
        Assert.True(File.Exists(Path.Combine(SampleDir, "model", "vibration.csv")));
        Assert.True(File.Exists(Path.Combine(SampleDir, "model", "vibration.safetensors")));
        Assert.True(File.Exists(Path.Combine(SampleDir, "model", "vibration-int8.safetensors")));
    }
}
