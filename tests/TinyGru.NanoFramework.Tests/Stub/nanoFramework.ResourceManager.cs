// Stub of the nanoFramework.ResourceManager package (assembly nanoFramework.ResourceManager), not served by the
// package feed here. Compiled at test time against the real nanoFramework.CoreLibrary mscorlib.dll.
//
// Source: the resource designer-file pattern of .NET Micro Framework / nanoFramework,
// `new ResourceManager("X.Resources", typeof(Resources).Assembly)`, with the native side in nanoframework/nf-interpreter
// src/nanoFramework.ResourceManager/nf_system_resourcemanager*.cpp. NOT confirmed from the package's C# source
// (not stored where the project could read it): the exact constructor signature.

namespace System.Resources
{
    // Resources compiled into the .pe stay in flash.
    public class ResourceManager
    {
        public ResourceManager(string baseName, System.Reflection.Assembly assembly) { throw null; }
    }
}
