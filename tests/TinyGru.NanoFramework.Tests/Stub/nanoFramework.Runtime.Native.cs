// Stub of the resource-slice reader in nanoFramework.Runtime.Native (assembly nanoFramework.Runtime.Native), not
// served by the package feed here. Compiled at test time against the real mscorlib.dll and the ResourceManager stub.
//
// Source: nanoframework/nf-interpreter, src/nanoFramework.Runtime.Native/
// nf_rt_native_nanoFramework_Runtime_Native_ResourceUtility.cpp and src/nanoFramework.ResourceManager/
// nf_system_resourcemanager*.cpp: ResourceUtility.GetObject(ResourceManager, Enum) and
// GetObject(ResourceManager, Enum, int offset, int length) returning object; slice reads
// `(byte[])ResourceUtility.GetObject(rm, id, offset, length)` as in public nanoFramework/NETMF code
// (nanoframework/nanoFramework.Runtime.Native, source/nanoFramework.Runtime.Native/ResourceUtility.cs).

namespace nanoFramework.Runtime.Native
{
    public static class ResourceUtility
    {
        public static object GetObject(System.Resources.ResourceManager rm, System.Enum id) { throw null; }
        public static object GetObject(System.Resources.ResourceManager rm, System.Enum id, int offset, int length) { throw null; }
    }
}
